-- ladder: draw what crossed the wire as a ladder diagram, client on the left, server on
-- the right, like the figures of RFC 8446 section 2, but from events that actually
-- happened (trace.lua's list), not from a template:
--
--   ========> a record (content type, bytes on the wire)
--   -------->   a handshake message inside the record above it
--   - - - - >   an alert
--
-- The left column is the epoch: which keys protected the record ("initial" = none).
local M = {}

local WIDTH = 64 -- between the two lifelines

local function arrow(sender, label, fill, head_r, head_l)
  local inner = WIDTH - 2
  label = " " .. label .. " "
  if #label > inner - 6 then label = label:sub(1, inner - 7) .. ". " end
  local pad = inner - #label
  if sender == "client" then
    -- |== label =========>|
    local lead = 3
    return "|" .. fill:rep(lead) .. label .. fill:rep(pad - lead - 1) .. head_r .. "|"
  end
  -- |<========= label ==|
  local tail = 3
  return "|" .. head_l .. fill:rep(pad - tail - 1) .. label .. fill:rep(tail) .. "|"
end

local function alert_fill(n)
  local t = {}
  for i = 1, n do t[i] = i % 2 == 1 and "-" or " " end
  return table.concat(t)
end

-- Outbound messages are seen before the record that carries them: put each record
-- first and then the messages whose bytes it carried, so the picture reads as the
-- wire did. Inbound events already come in that order.
local function regroup(events)
  local out, pending = {}, {}
  local function flush()
    for _, m in ipairs(pending) do out[#out + 1] = m end
    pending = {}
  end
  local carried = 0 -- bytes of pending[1] already carried by earlier records
  for _, e in ipairs(events) do
    if e.kind == "message" and e.dir == "out" then
      pending[#pending + 1] = e
    elseif e.kind == "record" and e.dir == "out" and e.name == "handshake" and #pending > 0 then
      out[#out + 1] = e
      local room = e.payload or 0
      while pending[1] and room > 0 do
        local m = pending[1]
        local need = m.size - carried
        if need <= room then
          room = room - need
          carried = 0
          out[#out + 1] = table.remove(pending, 1)
        else
          -- a message fragmented over several records: show it under the first
          if carried == 0 then out[#out + 1] = { kind = "message", dir = m.dir, sender = m.sender,
            epoch = m.epoch, name = m.name .. " (first fragment)", size = m.size } end
          carried = carried + room
          room = 0
        end
      end
    else
      if e.kind ~= "secret" then
        -- anything else in the outbound direction ends a batch of messages
        if e.dir == "out" and e.kind == "record" then flush() end
        out[#out + 1] = e
      end
    end
  end
  flush()
  return out
end

-- draw(events[, opts]) -> string. opts.max_app_records: application data records shown
-- before the rest is summarised (default 12).
function M.draw(events, opts)
  opts = opts or {}
  local max_app = opts.max_app_records or 12
  local lines = {}
  local function add(s) lines[#lines + 1] = s end
  local left = ("%-12s"):format("")
  add(left .. "client" .. (" "):rep(WIDTH - 12) .. "server")
  add(left .. "|" .. (" "):rep(WIDTH - 2) .. "|")
  local app_shown, app_hidden, app_bytes = 0, 0, 0
  -- A long transfer is summarised in place: one line for the records not drawn.
  local function summarise()
    if app_hidden == 0 then return end
    add(left .. ("|   ... %d more application_data records, %d B in all"):format(app_hidden, app_bytes))
    app_hidden, app_bytes = 0, 0
  end
  for _, e in ipairs(regroup(events)) do
    local epoch = ("%-12s"):format(e.epoch or "")
    if e.kind == "record" and e.name == "application_data" and app_shown >= max_app then
      app_hidden = app_hidden + 1
      app_bytes = app_bytes + e.size
    elseif e.kind == "record" then
      summarise()
      if e.name == "application_data" then app_shown = app_shown + 1 end
      local label = ("record %s %d B"):format(e.name, e.size)
      if e.name == "change_cipher_spec" then label = label .. " (compat, ignored)" end
      add(epoch .. arrow(e.sender, label, "=", ">", "<"))
    elseif e.kind == "message" then
      add(left .. arrow(e.sender, ("  %s %d B"):format(e.name, e.size), "-", ">", "<"))
    elseif e.kind == "alert" then
      summarise()
      -- dashes with gaps: an alert stands out from messages
      local fill = alert_fill(WIDTH)
      local label = " " .. e.name .. " "
      local pad = WIDTH - 2 - #label
      if e.sender == "client" then
        add(epoch .. "|" .. fill:sub(1, 3) .. label .. fill:sub(1, pad - 4) .. ">|")
      else
        add(epoch .. "|<" .. fill:sub(1, pad - 4) .. label .. fill:sub(1, 3) .. "|")
      end
    end
  end
  summarise()
  add(left .. "|" .. (" "):rep(WIDTH - 2) .. "|")
  return table.concat(lines, "\n")
end

return M
