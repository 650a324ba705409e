-- moontls demo: `make demo` runs this with the freshly built module.
-- The TLS 1.3 handshake walk-through (client and server in one process on loopback, each
-- message explained, a hook changing a message, and the ladder diagram) arrives with the
-- TLS 1.3 engine (issue 3). Until then the demo shows the pieces that exist.
package.path = "bindings/?.lua;bindings/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local tls = require "moontls"

print(("moontls %s"):format(tls.version))
print("What works so far: the C core's buffers, alert and error tables.")
print("Alert 50 is called " .. tls.alerts[50] .. "; 'illegal_parameter' is " .. tls.alerts.illegal_parameter)
print("The handshake walk-through arrives with the TLS 1.3 engine.")
