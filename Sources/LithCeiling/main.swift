// The benchmarks' ceiling: a bare Hummingbird route that answers every GET with
// the bytes of a file read once at start-up (the bench script saves a real
// dashboard page there). Whatever Lith costs is measured against this. It
// listens with the same connection guard as `lith serve` (timeouts, limits,
// Host check), so the ratio compares Lith's request path alone.
//
//   lith-ceiling --port 8090 --body dashboard.html
import Foundation
import Hummingbird
import Lith
import Logging

var port = 8090
var bodyPath: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--port": port = arguments.next().flatMap(Int.init) ?? port
    case "--body": bodyPath = arguments.next()
    default:
        FileHandle.standardError.write(Data("usage: lith-ceiling [--port N] --body FILE\n".utf8))
        exit(64)
    }
}
guard let bodyPath, let body = FileManager.default.contents(atPath: bodyPath) else {
    FileHandle.standardError.write(Data("lith-ceiling: --body FILE is required and must be readable\n".utf8))
    exit(64)
}

let page = ByteBuffer(bytes: body)
let listenPort = port
let router = Router()
router.get("/dashboard") { _, _ in
    Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: page))
}
let logger = Logger(label: "lith-ceiling")
let app = Application(
    router: router,
    server: .lith(limits: ConnectionLimits(), allowedHosts: try AllowedHosts(["127.0.0.1", "localhost"]), logger: logger),
    configuration: .init(address: .hostname("127.0.0.1", port: listenPort)),
    onServerRunning: { channel in print("ceiling serving http://127.0.0.1:\(channel.localAddress?.port ?? listenPort)/dashboard") },
    logger: logger
)
try await app.runService()
