import SwitchboardAdapterAPI
import Yams

/// Turns YAML text into a ``ConfigNode`` tree that keeps line numbers.
enum YAMLReader {
    static func read(_ text: String, diagnostics: ConfigDiagnostics) -> ConfigNode? {
        do {
            guard let root = try Yams.compose(yaml: text) else { return ConfigNode(.null, line: 1) }
            return convert(root, diagnostics: diagnostics)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                diagnostics.report(line: mark.line, "YAML syntax error: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, _):
                diagnostics.report(line: 1, "duplicated keys: \(duplicates.joined(separator: ", "))")
            default:
                diagnostics.report(line: 1, "YAML error: \(error)")
            }
            return nil
        } catch {
            diagnostics.report(line: 1, "YAML error: \(error)")
            return nil
        }
    }

    private static func convert(_ node: Node, diagnostics: ConfigDiagnostics) -> ConfigNode {
        let line = node.mark?.line ?? 1
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, node.null != nil { return ConfigNode(.null, line: line) }
            return ConfigNode(.scalar(scalar.string), line: line)
        case .sequence(let sequence):
            return ConfigNode(.list(sequence.map { convert($0, diagnostics: diagnostics) }), line: line)
        case .mapping(let mapping):
            var entries: [(key: String, keyLine: Int, value: ConfigNode)] = []
            for (key, value) in mapping {
                let keyLine = key.mark?.line ?? line
                guard let name = key.string else {
                    diagnostics.report(line: keyLine, "mapping keys must be plain names")
                    continue
                }
                if entries.contains(where: { $0.key == name }) {
                    diagnostics.report(line: keyLine, "key '\(name)' appears twice")
                }
                entries.append((name, keyLine, convert(value, diagnostics: diagnostics)))
            }
            return ConfigNode(.map(entries), line: line)
        case .alias:
            return ConfigNode(.null, line: line)
        }
    }
}
