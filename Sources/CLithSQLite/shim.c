#include "CLithSQLite.h"

/* From the SQLite that sqlite-nio bundles (its symbols carry a sqlite_nio_ prefix). */
int sqlite_nio_sqlite3_db_config(void *db, int op, ...);
#define LITH_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int lith_sqlite_enable_qpsg(void *db) {
    int enabled = 0;
    return sqlite_nio_sqlite3_db_config(db, LITH_SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
}
