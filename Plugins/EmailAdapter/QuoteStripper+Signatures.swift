/// What follows the new text without being part of it: the `-- ` signature, the line a phone or
/// app adds ("Sent from my iPhone" in many languages) and the footer a mailing list appends.
extension QuoteStripper {
    /// The `-- ` delimiter (RFC 3676), or a device line among the last three lines.
    static func signatureStart(_ lines: ArraySlice<String>) -> Int? {
        if let delimiter = lines.lastIndex(where: isSignatureDelimiter) { return delimiter }
        let content = lines.indices.filter { !lines[$0].trimmed.isEmpty }
        for index in content.suffix(3) where isDeviceSignature(lines[index].trimmed) {
            return index
        }
        return nil
    }

    static func isSignatureDelimiter(_ line: String) -> Bool {
        line == "-- " || line == "--" || line == "— "
    }

    /// How device and app lines begin (or, in Japanese and Korean, end), lower-cased.
    static let devicePrefixes = [
        "sent from ", "sent via ", "sent with ", "get outlook for ", "von meinem ", "gesendet von ", "gesendet mit ",
        "holen sie sich outlook für ", "envoyé de mon ", "envoyé depuis ", "envoyé à partir de ", "télécharger outlook pour ",
        "obtenir outlook pour ", "enviado desde ", "obtener outlook para ", "enviat des de", "inviato da ",
        "scarica outlook per ", "enviado do meu ", "enviado de meu ", "enviado a partir do ", "baixe o outlook para ",
        "obter o outlook para ", "verzonden vanaf ", "verstuurd vanaf ", "verzonden met ", "outlook voor ", "wysłane z ",
        "wysłano z ", "pobierz aplikację outlook", "skickat från ", "hämta outlook för ", "sendt fra ", "hent outlook til ",
        "få outlook til ", "отправлено с ", "отправлено из ", "надіслано з ", "发自我的", "从我的", "來自我的", "寄自我的",
        "lähetetty ", "odesláno z ",
    ]
    static let deviceSuffixes = ["から送信", "에서 보냄"]

    /// Words that excuse a short mobile reply (`Sent from my iPhone, please excuse typos`).
    static let excuseWords = [
        "excuse", "typo", "brevity", "brief", "sorry", "entschuldig", "tippfehler", "kürze", "excusez", "fautes",
        "disculp", "errores", "scusa", "errori", "desculp", "erros", "excuseu", "pardon", "fouten",
    ]

    /// A phone's or app's line, and not a sentence of the reply that happens to start the same way:
    /// short, and either a few words without a clause after them or only an excuse for brevity.
    static func isDeviceSignature(_ line: String) -> Bool {
        guard line.utf8.count <= 400, line.count <= 100 else { return false }
        var lower = normalized(line).lowercased()
        // Outlook's `Get Outlook for iOS<https://aka.ms/o0ukef>`.
        while let open = lower.firstIndex(of: "<"), let close = lower[open...].firstIndex(of: ">") {
            lower.removeSubrange(open...close)
        }
        lower = lower.trimmed.trimmingSuffix { $0 == "." || $0 == "!" }
        guard devicePrefixes.contains(where: { lower.hasPrefix($0) }) || deviceSuffixes.contains(where: { lower.hasSuffix($0) }) else { return false }
        guard let stop = lower.firstIndex(where: { ",;:!?(".contains($0) }) else {
            return lower.split(separator: " ").count <= 8
        }
        let rest = lower[stop...]
        return lower[..<stop].split(separator: " ").count <= 8 && excuseWords.contains { rest.contains($0) }
    }

    /// Phrases of list footers (Mailman, Google Groups, Groups.io and translations), lower-cased.
    static let footerPhrases = [
        "mailing list", "listinfo", "to unsubscribe", "unsubscribe:", "you received this message because you are subscribed",
        "google groups", "groups.io", "sie haben diese nachricht erhalten, weil sie", "vous recevez ce message",
        "recibiste este mensaje porque", "recibió este mensaje porque", "hai ricevuto questo messaggio",
        "você recebeu essa mensagem porque", "je hebt dit bericht ontvangen", "otrzymujesz tę wiadomość",
        "du har fått detta meddelande", "вы получили это сообщение", "您收到此邮件是因为", "google グループ", "google 그룹스",
        "lista de correo", "liste de diffusion", "mailingliste",
    ]

    /// Where a mailing list's footer begins: a rule or `--` line among the last lines of the body,
    /// followed within three lines by a footer phrase, and at most twelve lines to the end.
    static func listFooterStart(_ lines: [String]) -> Int? {
        var content = 0
        var index = lines.count
        var phraseAt: Int?
        while index > 0, content < 12 {
            index -= 1
            let text = lines[index].trimmed
            guard !text.isEmpty else { continue }
            content += 1
            if text.hasPrefix(">") { return nil }
            // Footer lines are short; a long line is text, and is never lower-cased here.
            guard text.utf8.count <= 300 else { continue }
            if isRule(text) || isSignatureDelimiter(text) || text.hasPrefix("-=-=") {
                if let phraseAt, phraseAt - index <= 3 { return index }
                continue
            }
            let lower = text.lowercased()
            if footerPhrases.contains(where: { lower.contains($0) }) { phraseAt = index }
        }
        return nil
    }
}
