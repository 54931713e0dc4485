/// Quoted header blocks (Outlook, Hotmail, Yahoo, Apple, webmailers) and the separator lines above
/// them, in many languages, and the banners of forwarded mail, which are never cut.
extension QuoteStripper {
    /// `-----Original Message-----` and its translations, lower-cased, without the dashes.
    static let separatorWords: Set<String> = [
        "original message", "original email message", "reply message", "ursprüngliche nachricht", "original-nachricht",
        "originalnachricht", "antwort nachricht", "message d'origine", "message original", "mensaje original",
        "missatge original", "messaggio originale", "mensagem original", "oorspronkelijk bericht", "origineel bericht",
        "wiadomość oryginalna", "oryginalna wiadomość", "ursprungligt meddelande", "originalmeddelande",
        "oprindelig meddelelse", "opprinnelig melding", "opprinnelig meddelelse", "alkuperäinen viesti", "původní zpráva",
        "исходное сообщение", "оригинальное сообщение", "исходное письмо", "оригінальне повідомлення",
        "вихідне повідомлення", "початкове повідомлення", "原始邮件", "原始郵件", "邮件原件", "郵件原件", "원본 메시지",
        "원본 메일", "元のメッセージ", "オリジナル メッセージ", "orijinal mesaj", "özgün ileti", "eredeti üzenet",
        "mesaj original", "reply above this line",
    ]

    /// Banners of forwarded mail, lower-cased, without dashes and a final colon.
    static let forwardWords: Set<String> = [
        "forwarded message", "begin forwarded message", "forwarded email", "weitergeleitete nachricht",
        "anfang der weitergeleiteten nachricht", "message transféré", "début du message réexpédié",
        "début du message transféré", "mensaje reenviado", "comienzo del mensaje reenviado", "missatge reenviat",
        "inici del missatge reenviat", "messaggio inoltrato", "inizio messaggio inoltrato", "mensagem encaminhada",
        "início da mensagem reencaminhada", "doorgestuurd bericht", "begin doorgestuurd bericht", "wiadomość przekazana",
        "początek przekazywanej wiadomości", "vidarebefordrat meddelande", "videresendt meddelelse", "videresendt melding",
        "пересылаемое сообщение", "переслане повідомлення", "转发邮件", "转发的邮件", "轉寄郵件", "転送されたメッセージ",
        "전달된 메시지", "välitetty viesti",
    ]

    private static func bannerWords(_ line: String) -> String? {
        guard let first = line.unicodeScalars.first, "-_=*#~ ".unicodeScalars.contains(first) || line.hasSuffix(":") else { return nil }
        guard line.utf8.count <= 120 else { return nil }
        let decoration: (Character) -> Bool = { "-_=*#~: ".contains($0) }
        let words = String(normalized(line).lowercased().drop(while: decoration)).trimmingSuffix(while: decoration)
        return words.isEmpty ? nil : words
    }

    /// What a line between decorations is, read from its words once.
    enum Banner {
        /// A forward's banner: what follows is new to us, never cut.
        case forward
        /// `-----Original Message-----` or a translation in ``separatorWords``.
        case separator
        /// A line of dashes around a few other words (`----- Mail original -----`,
        /// `---------- Původní e-mail ----------`): how clients mark the original in languages the
        /// table lacks; it ends the reply only when the original follows (``originalFollows(_:after:)``).
        case dashed
    }

    /// The banner `line` (trimmed) is, or nil. A dashed banner with a word of ``forwardStems`` in it
    /// (`---------- Przekazana wiadomość ----------`) is a forward's.
    static func banner(_ line: String) -> Banner? {
        guard let words = bannerWords(line) else { return nil }
        if forwardWords.contains(words) { return .forward }
        let ruled = line.hasPrefix("--") || line.hasPrefix("__") || line.hasPrefix("*-") || line.hasPrefix("==")
        if ruled, separatorWords.contains(words) { return .separator }
        guard line.hasPrefix("--"), line.hasSuffix("--"), words.utf8.count(where: { $0 == UInt8(ascii: " ") }) < 5,
            words.unicodeScalars.contains(where: \.properties.isAlphabetic)
        else { return nil }
        return forwardStems.contains { ByteScan.contains(words, $0) } ? .forward : .dashed
    }

    /// `-----Original Message-----`, `*----- Ursprüngliche Nachricht -----*`, QQ's `------ 原始邮件 ------`.
    static func isSeparator(_ line: String) -> Bool {
        banner(line) == .separator
    }

    /// `---------- Forwarded message ---------`, `Begin forwarded message:` and translations.
    static func isForwardBanner(_ line: String) -> Bool {
        banner(line) == .forward
    }

    /// Stems of "forwarded" (lower-cased) in the languages of the tables.
    static let forwardStems: [[UInt8]] = [
        "forward", "fwd", "weiterge", "transf", "réexp", "reenv", "inoltr", "encaminh", "doorgest", "przekaz",
        "vidarebef", "videresend", "edelleen", "välitet", "přepos", "továbbít", "letilen", "yönlendir",
        "пересл", "转发", "轉寄", "轉發", "転送", "전달",
    ].map { Array($0.utf8) }

    /// Whether what follows line `index` is the original: nothing, a `>` quote, an attribution or
    /// the labelled lines of a header block (two labels among the next lines, the first one right
    /// below) — so a dashed heading above the customer's own text stays. Only the blank lines up
    /// to the next text are passed over.
    static func originalFollows(_ lines: [String], after index: Int) -> Bool {
        var next = index + 1
        while next < lines.count, lines[next].trimmed.isEmpty { next += 1 }
        guard next < lines.count else { return true }
        let first = lines[next].trimmed
        if first.hasPrefix(">") || attributionStart(lines, endingAt: next) != nil { return true }
        guard headerLabel(first) != nil else { return false }
        return lines[(next + 1)...].prefix(5).contains { headerLabel($0.trimmed) != nil }
    }

    enum HeaderLabel { case from, date, to, subject, copy }

    /// The labels of quoted header blocks, lower-cased, as Outlook, Yahoo, Apple Mail and webmailers
    /// write them in their languages.
    static let headerLabels: [String: HeaderLabel] = {
        var labels: [String: HeaderLabel] = [:]
        let from = [
            "from", "von", "de", "van", "da", "från", "fra", "od", "от", "від", "发件人", "寄件者", "寄件人", "差出人",
            "送信者", "보낸 사람", "보낸사람", "lähettäjä", "kimden", "expéditeur", "afzender", "avsändare", "remitente",
            "mittente", "odesílatel", "feladó", "de la", "remitent",
        ]
        let date = [
            "sent", "date", "gesendet", "datum", "envoyé", "enviado", "enviada", "enviada em", "enviado el", "enviat",
            "enviat el", "fecha", "data", "inviato", "verzonden", "skickat", "sendt", "wysłano", "wysłane", "отправлено",
            "дата", "надіслано", "发送时间", "日期", "时间", "寄件日期", "送信日時", "日付", "보낸 날짜", "날짜",
            "lähetetty", "päivämäärä", "odesláno", "gönderildi", "tarih", "elküldve", "küldve", "dátum", "傳送時間",
            "時間", "发送日期", "dato", "trimis", "enviado em", "odoslané",
        ]
        let to = [
            "to", "an", "à", "a", "para", "per a", "aan", "till", "til", "do", "кому", "收件人", "收件者", "宛先",
            "받는 사람", "받는사람", "vastaanottaja", "komu", "kime", "destinataire", "destinatario", "mottagare", "címzett",
            "către",
        ]
        let subject = [
            "subject", "betreff", "objet", "asunto", "assumpte", "oggetto", "assunto", "onderwerp", "ämne", "emne",
            "temat", "тема", "主题", "主旨", "件名", "제목", "aihe", "předmět", "konu", "tárgy", "subiect", "predmet",
        ]
        let copy = [
            "cc", "kopie", "copie à", "cc.", "копия", "копія", "抄送", "副本", "참조", "kopio", "kopia", "kopi", "másolatot kap",
            "másolat", "dw", "dw.", "bilgi", "bcc", "kópia",
        ]
        for (words, label) in [(from, HeaderLabel.from), (date, .date), (to, .to), (subject, .subject), (copy, .copy)] {
            for word in words { labels[word] = label }
        }
        return labels
    }()

    /// The label a header line starts with (`*From:*`, `De\u{A0}:`, `发件人：`), or nil. Only the
    /// first bytes are looked at for the colon: most lines have none there and cost no more.
    static func headerLabel(_ line: String) -> HeaderLabel? {
        var line = line
        let name: String? = line.withUTF8 { bytes in
            // Labels are a word or two: a colon after more than two blanks ends a sentence.
            var index = 0
            var blanks = 0
            while index < bytes.count, index < 48, blanks < 3 {
                let byte = bytes[index]
                if byte == UInt8(ascii: ":") { return String(decoding: bytes[..<index], as: UTF8.self) }
                if byte == 0xEF, index + 2 < bytes.count, bytes[index + 1] == 0xBC, bytes[index + 2] == 0x9A {
                    return String(decoding: bytes[..<index], as: UTF8.self)
                }
                if byte == UInt8(ascii: " "), index > 0, bytes[index - 1] != UInt8(ascii: " ") { blanks += 1 }
                index += 1
            }
            return nil
        }
        guard let name else { return nil }
        return headerLabels[normalized(name).filter { $0 != "*" }.lowercased().trimmed]
    }

    /// Where a quoted header block that begins (or continues) with a `From:` line at `index` starts:
    /// `From:` with a subject and a date or recipient, or a date and a recipient and an address —
    /// so `From: Berlin / To: Munich` in a customer's text stays. Labels above `From:` (GMX puts
    /// the date first) and a rule or separator line above the block belong to it.
    static func headerBlockStart(_ lines: [String], at index: Int) -> Int? {
        guard headerLabel(lines[index]) == .from else { return nil }
        var seen: Set<HeaderLabel> = []
        var start = index
        while start > 0, start > index - 4, let above = headerLabel(lines[start - 1]), above != .from {
            seen.insert(above)
            start -= 1
        }
        var other = 0
        for line in lines[(index + 1)...].prefix(8) {
            if let label = headerLabel(line) {
                if label == .from { break }
                seen.insert(label)
                other = 0
            } else if !line.trimmed.isEmpty {
                // The wrapped rest of a field (`[mailto:` / `ann@example.org]`); the old text after two.
                other += 1
                if other == 2 { break }
            }
        }
        let addressed = lines[index].utf8.contains(UInt8(ascii: "@"))
        let isBlock =
            seen.contains(.subject) && (seen.contains(.date) || seen.contains(.to))
            || seen.contains(.date) && seen.contains(.to) && addressed
        guard isBlock else { return nil }
        if start > 0 {
            let above = lines[start - 1].trimmed
            if isRule(above) || banner(above).map({ $0 != .forward }) ?? false { start -= 1 }
        }
        return start
    }

    static func isRule(_ line: String) -> Bool {
        line.count >= 10 && line.allSatisfy { $0 == "_" || $0 == "-" || $0 == "=" }
    }
}
