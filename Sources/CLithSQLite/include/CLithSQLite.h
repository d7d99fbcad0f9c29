#ifndef CLITHSQLITE_H
#define CLITHSQLITE_H

/// Turns on SQLite's query planner stability guarantee for a connection.
/// Swift can't call the variadic sqlite3_db_config, hence this shim.
/// Returns the SQLite status code.
int lith_sqlite_enable_qpsg(void *db);

#endif
