@_spi(Testing) import LithTestSupport
import Testing

@testable import LithCLI

@Suite("Huge pages for scrypt, asked of glibc at start-up")
struct HugePagesTests {
    @Test func aProcessWithoutTunablesStartsAgainWithHugePages() {
        // Given no GLIBC_TUNABLES in the environment
        // When lith decides how to start
        let value = HugePages.tunables(adding: nil)
        // Then it starts again with glibc's huge pages on
        #expect(value == "glibc.malloc.hugetlb=1")
    }

    @Test func anEmptyValueCountsAsNone() {
        // Given GLIBC_TUNABLES set but empty
        // When lith decides how to start
        let value = HugePages.tunables(adding: "")
        // Then it starts again with only its own tunable
        #expect(value == "glibc.malloc.hugetlb=1")
    }

    @Test func theOperatorsOtherTunablesAreKept() {
        // Given an operator who limits glibc's arenas
        // When lith adds its tunable
        let value = HugePages.tunables(adding: "glibc.malloc.arena_max=2")
        // Then theirs comes first, unchanged
        #expect(value == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")
    }

    @Test func anOperatorWhoTurnedHugePagesOffIsObeyed() {
        // Given GLIBC_TUNABLES that already sets the tunable, to 0
        // When lith decides how to start
        let value = HugePages.tunables(adding: "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0")
        // Then it runs on as it is, without starting again
        #expect(value == nil)
    }

    @Test func theRestartedProcessDoesNotStartAgain() {
        // Given the value lith itself set before executing itself again
        let set = HugePages.tunables(adding: nil)
        // When the new process decides how to start
        // Then it runs on: one re-execution, never a loop
        #expect(HugePages.tunables(adding: set) == nil)
    }

    @Test func aSimilarlyNamedTunableIsNotMistakenForOurs() {
        // Given a tunable whose name only begins like ours
        let value = HugePages.tunables(adding: "glibc.malloc.hugetlbx=1")
        // Then lith still adds its own
        #expect(value == "glibc.malloc.hugetlbx=1:glibc.malloc.hugetlb=1")
    }
}
