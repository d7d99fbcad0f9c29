import NIOConcurrencyHelpers

/// A set of paths filled while routes are declared and read while serving.
final class PathSet: Sendable {
    private let paths = NIOLockedValueBox<Set<String>>([])

    func insert(_ path: String) { _ = paths.withLockedValue { $0.insert(path) } }
    func contains(_ path: String) -> Bool { paths.withLockedValue { $0.contains(path) } }
}
