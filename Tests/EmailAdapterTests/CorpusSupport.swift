import Foundation

/// Where the shared real-world corpus is: `SWITCHBOARD_CORPUS`, default `../shared/corpus` from the
/// package root. Tests read it in place; nothing is copied into the project.
enum Corpus {
    static var root: URL {
        if let env = ProcessInfo.processInfo.environment["SWITCHBOARD_CORPUS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("../shared/corpus").standardizedFileURL
    }

    static func file(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    /// Every raw message under `mail/`, as paths relative to the corpus root (`mail/zammad/mail001.box`).
    static var mailFiles: [String] {
        let folders = ["zammad", "chatwoot", "mikel-mail"]
        return folders.flatMap { folder -> [String] in
            let url = root.appendingPathComponent("mail/\(folder)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            return names.filter { $0.hasSuffix(".box") || $0.hasSuffix(".eml") }.sorted().map { "mail/\(folder)/\($0)" }
        }
    }
}
