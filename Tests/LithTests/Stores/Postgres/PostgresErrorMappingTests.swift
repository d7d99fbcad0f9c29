import Testing

@_spi(Testing) @testable import Lith

/// Which PostgreSQL errors mean "try again soon" (503) and which are failures (500).
@Suite("PostgreSQL error mapping")
struct PostgresErrorMappingTests {
    @Test(arguments: ["08006", "53300", "57P01", "40001", "40P01", "25006"])
    func transientServerErrorsMeanUnavailable(sqlState: String) {
        #expect(PostgresStore.meansUnavailable(sqlState: sqlState))
    }

    @Test(arguments: ["23505", "42P01", "22001", nil])
    func otherServerErrorsAreFailures(sqlState: String?) {
        #expect(!PostgresStore.meansUnavailable(sqlState: sqlState))
    }
}
