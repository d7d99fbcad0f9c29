import Logging

/// swift-log's `StreamLogHandler`, with its metadata formatted only for a line
/// that is actually written.
///
/// `StreamLogHandler` turns its metadata into a string whenever the metadata
/// changes, and Hummingbird sets a request ID on every request's logger: the
/// server formatted (sorting, interpolating) that line on every page view to
/// print nothing. Here the metadata is kept as it is and handed over at `log`,
/// which `Logger` calls only at or above the level.
struct LazyMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(_ stream: StreamLogHandler) {
        self.stream = stream
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var stream = stream
        stream.metadata = metadata
        stream.log(event: event)
    }
}
