#ifndef INTAKE_CSQLITE_SHIM_H
#define INTAKE_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; Swift cannot import it.
static inline sqlite3_destructor_type intake_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
/* Turns SQLite's memory statistics off: with them on, every allocation takes a global mutex.
   Takes effect only before the first connection opens (SQLITE_MISUSE after). */
static inline int intake_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
