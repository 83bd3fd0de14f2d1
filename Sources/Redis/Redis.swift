/// Swift wrapper of hiredis: connections, pool, pipelining and Lua scripts.
