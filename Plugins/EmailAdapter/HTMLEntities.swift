/// HTML character references: numeric ones, and the named ones mail clients actually emit.
enum Entities {
    static func decode(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        var result = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            let candidate = after.prefix(while: { $0.isLetter || $0.isNumber || $0 == "#" }).prefix(32)
            let hasSemicolon = after.dropFirst(candidate.count).first == ";"
            if !candidate.isEmpty, let scalar = value(of: candidate, strict: !hasSemicolon) {
                result.unicodeScalars.append(scalar)
                rest = after.dropFirst(candidate.count + (hasSemicolon ? 1 : 0))
            } else {
                result += "&"
                rest = after
            }
        }
        return result + rest
    }

    private static func value(of name: Substring, strict: Bool) -> Unicode.Scalar? {
        if name.hasPrefix("#") {
            guard !strict else { return nil }
            let digits = name.dropFirst()
            let code = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            guard let code, code != 0 else { return nil }
            // Windows-1252 code points written as numbers are a classic of Outlook HTML.
            if (128...159).contains(code), let mapped = windows1252[code] { return mapped }
            return Unicode.Scalar(code)
        }
        // Without `;` only the few names browsers also accept bare.
        if strict { return bare[String(name)] }
        return named[String(name)]
    }

    private static let bare: [String: Unicode.Scalar] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "nbsp": " "]

    private static let named: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ensp": " ", "emsp": " ", "thinsp": " ",
        "zwnj": "\u{200C}", "zwj": "\u{200D}", "shy": "\u{AD}", "copy": "©", "reg": "®", "trade": "™", "euro": "€",
        "pound": "£", "yen": "¥", "cent": "¢", "sect": "§", "para": "¶", "deg": "°", "plusmn": "±", "times": "×",
        "divide": "÷", "micro": "µ", "middot": "·", "bull": "•", "hellip": "…", "ndash": "–", "mdash": "—",
        "lsquo": "‘", "rsquo": "’", "sbquo": "‚", "ldquo": "“", "rdquo": "”", "bdquo": "„", "laquo": "«", "raquo": "»",
        "lsaquo": "‹", "rsaquo": "›", "dagger": "†", "iexcl": "¡", "iquest": "¿", "ordf": "ª", "ordm": "º",
        "frac12": "½", "frac14": "¼", "frac34": "¾", "sup1": "¹", "sup2": "²", "sup3": "³", "rarr": "→", "larr": "←",
        "auml": "ä", "ouml": "ö", "uuml": "ü", "Auml": "Ä", "Ouml": "Ö", "Uuml": "Ü", "szlig": "ß", "euml": "ë", "iuml": "ï",
        "aacute": "á", "eacute": "é", "iacute": "í", "oacute": "ó", "uacute": "ú", "yacute": "ý", "Aacute": "Á",
        "Eacute": "É", "Iacute": "Í", "Oacute": "Ó", "Uacute": "Ú", "agrave": "à", "egrave": "è", "igrave": "ì",
        "ograve": "ò", "ugrave": "ù", "Agrave": "À", "Egrave": "È", "acirc": "â", "ecirc": "ê", "icirc": "î",
        "ocirc": "ô", "ucirc": "û", "Acirc": "Â", "Ecirc": "Ê", "atilde": "ã", "ntilde": "ñ", "otilde": "õ",
        "Ntilde": "Ñ", "ccedil": "ç", "Ccedil": "Ç", "aring": "å", "Aring": "Å", "aelig": "æ", "AElig": "Æ",
        "oslash": "ø", "Oslash": "Ø", "yuml": "ÿ", "scaron": "š", "Scaron": "Š", "zcaron": "ž", "Zcaron": "Ž",
    ]

    private static let windows1252: [UInt32: Unicode.Scalar] = [
        128: "€", 130: "‚", 132: "„", 133: "…", 134: "†", 135: "‡", 139: "‹", 145: "‘", 146: "’", 147: "“", 148: "”",
        149: "•", 150: "–", 151: "—", 153: "™", 155: "›",
    ]
}
