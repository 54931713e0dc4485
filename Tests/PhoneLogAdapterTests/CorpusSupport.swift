import Foundation

/// Where the shared real-world corpus is: `SWITCHBOARD_CORPUS`, default `../shared/corpus` from the
/// package root. Tests read it in place; nothing is copied into the project.
enum Corpus {
    static var root: URL {
        if let env = ProcessInfo.processInfo.environment["SWITCHBOARD_CORPUS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("../shared/corpus").standardizedFileURL
    }

    static func file(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func files(in folder: String, ext: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == ext }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
