import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith
@testable import LithApp

@Suite("Dashboard dates")
struct DashboardDatesTests {
    @Test(arguments: [0.0, 951_782_400, 1_800_000_000, 4_107_542_399, -86_401, 1_709_164_800, 1_234_567_890.9])
    func arithmeticMatchesFoundation(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(UTCDateText.iso8601(date) == date.formatted(.iso8601))
    }

    @Test func theReadableFormIsUTCToTheMinute() {
        #expect(UTCDateText.minutes(Date(timeIntervalSince1970: 1_800_000_000)) == "2027-01-15 08:00 UTC")
    }

    @Test func numbersWiderThanTheirFieldAreWrittenInFull() {
        #expect(UTCDateText.fill("####-##", 12345, 7) == "12345-07")
        #expect(UTCDateText.fill("####-##", -44, 3) == "-0044-03")
    }
}
