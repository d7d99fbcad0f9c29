import Testing

@_spi(Testing) @testable import Lith

/// Evening out the cost of failed logins (``FailureCost``).
@Suite("Failure cost")
struct FailureCostTests {
    static let current = ScryptParameters.testsOnly
    static let dearer = try! ScryptParameters(logN: 8, r: 8, p: 1)

    @Test func aFailureAtCheaperParametersIsPaddedToWhatTheDearestCosts() {
        // given hashes at today's parameters taking 10 ms and older, dearer ones 40 ms
        let cost = FailureCost(current: Self.current)
        cost.note(Self.current, took: 0.010)
        cost.note(Self.dearer, took: 0.040)
        // then dummies run at the dearer ones, and a 10 ms failure waits 30 ms more
        #expect(cost.dearest == Self.dearer)
        #expect(abs(cost.padding(after: 0.010, at: Self.current) - 0.030) < 1e-9)
        // and a failure at the dearest parameters waits for nothing
        #expect(cost.padding(after: 0.040, at: Self.dearer) == 0)
    }

    @Test func withOneParameterSetNothingIsPadded() {
        let cost = FailureCost(current: Self.current)
        cost.note(Self.current, took: 0.010)
        #expect(cost.padding(after: 0.002, at: Self.current) == 0)
    }

    @Test func oneSlowHashMovesTheEstimateOnlyAPart() {
        // given a steady 40 ms, then one 400 ms outlier on a busy machine
        let cost = FailureCost(current: Self.current)
        cost.note(Self.dearer, took: 0.040)
        cost.note(Self.dearer, took: 0.400)
        // then a 10 ms failure is padded to 40 + (400 - 40) / 5 = 112 ms, not 400
        #expect(abs(cost.padding(after: 0.010, at: Self.current) - 0.102) < 1e-9)
    }
}
