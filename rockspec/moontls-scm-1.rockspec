-- Builds through the project Makefile, so the Makefile stays the one source list.
package = "moontls"
version = "scm-1"
source = { url = "git+file://." }
description = {
  summary = "Scriptable TLS 1.0-1.3 engine for protocol testing, driven from Lua",
  license = "MIT",
}
dependencies = { "lua >= 5.4" }
external_dependencies = {
  TOMCRYPT = { header = "tomcrypt.h", library = "tomcrypt" },
  TOMMATH = { header = "tommath.h", library = "tommath" },
}
build = {
  type = "make",
  build_variables = { CFLAGS = "$(CFLAGS)", LUA_INC = "$(LUA_INCDIR)" },
  install_variables = { LUADIR = "$(LUADIR)", LIBDIR = "$(LIBDIR)" },
}
