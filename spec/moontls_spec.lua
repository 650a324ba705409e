-- The Lua module loads from the build tree and its helpers behave.
local tls = require "moontls"

describe("moontls module", function()
  it("reports its version", function()
    assert.is_string(tls.version)
    assert.matches("^%d+%.%d+%.%d+$", tls.version)
  end)

  it("round-trips hex", function()
    local bytes = "\0\1\127\128\255"
    assert.equal("00017f80ff", tls.hex.encode(bytes))
    assert.equal(bytes, tls.hex.decode("00017F80ff"))
    assert.equal(bytes, tls.hex.decode("00 01 7f 80 ff"))
  end)

  it("rejects malformed hex with an error message", function()
    local v, err = tls.hex.decode("abc")
    assert.is_nil(v)
    assert.matches("odd", err)
    v, err = tls.hex.decode("zz")
    assert.is_nil(v)
    assert.matches("invalid", err)
  end)

  it("names alerts both ways", function()
    assert.equal("decode_error", tls.alerts[50])
    assert.equal(47, tls.alerts.illegal_parameter)
    assert.is_nil(tls.alerts[255])
    assert.is_nil(tls.alerts.no_such_alert)
  end)

  it("names error codes", function()
    assert.equal("DECODE_ERROR", tls.core.err_name(0x100 | 50))
    assert.equal("OK", tls.core.err_name(0))
  end)
end)
