import Foundation

/// Where the shared real-world corpus is: `SWITCHBOARD_CORPUS`, default `../shared/corpus` from the
/// package root. Tests read it in place; nothing is copied into the project.
public enum Corpus {
    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["SWITCHBOARD_CORPUS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("../shared/corpus").standardizedFileURL
    }

    public static func file(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    public static func files(in folder: String, ext: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == ext }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Every raw message under `mail/`, as paths relative to the corpus root (`mail/zammad/mail001.box`).
    public static var mailFiles: [String] {
        ["zammad", "chatwoot", "mikel-mail"].flatMap { folder -> [String] in
            let url = root.appendingPathComponent("mail/\(folder)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            return names.filter { $0.hasSuffix(".box") || $0.hasSuffix(".eml") }.sorted().map { "mail/\(folder)/\($0)" }
        }
    }
}
