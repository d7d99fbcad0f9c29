import Benchmark
import Lith

/// `application/x-www-form-urlencoded` parsing of a login form as a browser
/// sends it: an escaped @, + for spaces, a CSRF token, a checkbox and an
/// escaped `next` path with a query.
///
/// From outside Lith this calls `init(urlEncoded:)`'s unspecialised generic
/// entry point; Lith's own call (CSRFMiddleware, on a `ByteBufferView`) runs
/// a specialisation the compiler made inside the module, which a scratch
/// experiment found about 4× faster. Read this number as an upper bound.
func registerFormBenchmarks() {
    let body = Array(
        ("email=ada.lovelace%40example.com&password=correct+horse+battery+staple"
            + "&csrf_token=q0Yd3vVb1m4Kx8aWcR2n7JtZp9LhUe5sGf6oNiXyT3E"
            + "&remember_me=on&next=%2Fdashboard%3Ftab%3Dsessions%26page%3D2").utf8
    )

    Benchmark("form decode (login body)", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            let form = try FormData(urlEncoded: body)
            blackHole(form)
        }
    }
}
