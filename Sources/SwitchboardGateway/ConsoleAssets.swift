import Foundation

/// The console's files, read once from the package resources (`Resources/console`). Requests are
/// answered by exact lookup in this table, so no request path ever reaches the file system.
enum ConsoleAssets {
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    static let files: [String: File] = {
        guard let root = Bundle.module.url(forResource: "console", withExtension: nil) else { return [:] }
        var files: [String: File] = [:]
        let base = root.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [:] }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                let data = try? Data(contentsOf: url)
            else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            files[path] = File(bytes: Array(data), contentType: contentType(url.pathExtension))
        }
        return files
    }()

    private static func contentType(_ ext: String) -> String {
        switch ext {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }
}
