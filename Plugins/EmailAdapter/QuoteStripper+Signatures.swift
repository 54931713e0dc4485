/// What follows the new text without being part of it: the `-- ` signature, the line a phone or
/// app adds ("Sent from my iPhone" in many languages) and the footer a mailing list appends.
extension QuoteStripper {
    /// The `-- ` delimiter (RFC 3676), or a device line that is the last line of the text: above
    /// other lines of the customer's it is a sentence that mentions a phone.
    static func signatureStart(_ lines: ArraySlice<String>) -> Int? {
        if let delimiter = lines.lastIndex(where: isSignatureDelimiter) { return delimiter }
        guard let last = lines.lastIndex(where: { !$0.trimmed.isEmpty }), isDeviceSignature(lines[last].trimmed) else { return nil }
        return last
    }

    static func isSignatureDelimiter(_ line: String) -> Bool {
        line == "-- " || line == "--" || line == "— "
    }

    /// How a phone's or app's line reads in one language: the words it begins with and the words it
    /// ends with (either may be empty), lower-cased. `named`: the words alone also begin or end
    /// sentences (`Enviado do armazém`, `Paket depodan gönderildi`), so an app's or device's name
    /// (``deviceNames``) must be in the line too.
    struct DeviceLine {
        var prefix = ""
        var suffix = ""
        var named = false

        static func begins(_ prefix: String, named: Bool = false) -> DeviceLine { DeviceLine(prefix: prefix, named: named) }
        static func ends(_ suffix: String, named: Bool = false) -> DeviceLine { DeviceLine(suffix: suffix, named: named) }
        static func frame(_ prefix: String, _ suffix: String) -> DeviceLine { DeviceLine(prefix: prefix, suffix: suffix) }
    }

    /// The device and app lines of iOS Mail, Samsung Email, Gmail, Outlook and Yahoo apps, by language.
    static let deviceLines: [String: [DeviceLine]] = [
        "en": [.begins("sent from "), .begins("sent via "), .begins("sent with "), .begins("get outlook for ")],
        "de": [
            .begins("von meinem "), .begins("gesendet von "), .begins("gesendet mit "), .begins("holen sie sich outlook für "),
            .begins("diese nachricht wurde von meinem "), .begins("outlook für ", named: true),
        ],
        "fr": [
            .begins("envoyé de mon "), .begins("envoyé depuis "), .begins("envoyé à partir de "), .begins("envoyé de ", named: true),
            .begins("envoyé avec ", named: true), .begins("télécharger outlook pour "), .begins("obtenir outlook pour "),
        ],
        "es": [
            .begins("enviado desde "), .begins("enviado con ", named: true), .begins("obtener outlook para "), .begins("descargar outlook para "),
        ],
        "ca": [.begins("enviat des de"), .begins("enviat amb ", named: true), .begins("obtén l'outlook per a ")],
        "it": [
            .begins("inviato da "), .begins("inviato dal mio "), .begins("inviato con ", named: true), .begins("scarica outlook per "),
            .begins("ottieni outlook per "),
        ],
        "pt": [
            .begins("enviado do meu "), .begins("enviado de meu "), .begins("enviado a partir do "), .begins("enviado do ", named: true),
            .begins("enviado pelo ", named: true), .begins("enviado via ", named: true), .begins("baixe o outlook para "),
            .begins("obter o outlook para "), .begins("obtenha o outlook para "),
        ],
        "nl": [
            .begins("verzonden vanaf "), .begins("verstuurd vanaf "), .begins("verzonden met "), .begins("verstuurd met ", named: true),
            .begins("outlook voor "), .begins("download outlook voor "),
        ],
        "pl": [.begins("wysłane z "), .begins("wysłano z "), .begins("pobierz aplikację outlook"), .begins("pobierz outlook dla ")],
        "sv": [.begins("skickat från "), .begins("hämta outlook för "), .begins("skaffa outlook för ")],
        "da": [.begins("sendt fra "), .begins("hent outlook til "), .begins("få outlook til ")],
        "nb": [.begins("sendt fra "), .begins("få outlook for "), .begins("last ned outlook for ")],
        "fi": [.begins("lähetetty "), .begins("hanki outlook ")],
        "cs": [.begins("odesláno z "), .begins("odesláno ze "), .begins("odesláno pomocí ", named: true), .begins("stáhněte si outlook ")],
        "sk": [.begins("odoslané z "), .begins("odoslané zo "), .begins("stiahnite si outlook ")],
        "hu": [
            // `Az iPhone-omról küldve`, `Samsung Galaxy okostelefonomról küldve`, `Androidos Outlookból küldve`.
            .ends("mról küldve"), .ends("mről küldve"), .ends("ról küldve", named: true), .ends("ről küldve", named: true),
            .ends("ból küldve", named: true), .ends("ből küldve", named: true),
            .begins("küldve az ", named: true), .begins("outlook letöltése ", named: true),
        ],
        "tr": [
            // `iPhone'umdan gönderildi`, `Samsung cihazımdan gönderildi`: from *my* device.
            .ends("mdan gönderildi"), .ends("mden gönderildi"), .ends("tan gönderildi", named: true),
            .ends("dan gönderildi", named: true), .ends("outlook'u edinin"), .ends("outlook'u indirin"),
        ],
        "ru": [
            .begins("отправлено с "), .begins("отправлено из "), .begins("отправлено через ", named: true), .begins("получить outlook для "),
            .begins("скачайте outlook для "),
        ],
        "uk": [.begins("надіслано з "), .begins("надіслано із "), .begins("отримати outlook для "), .begins("завантажити outlook для ")],
        "zh-Hans": [.begins("发自我的"), .begins("从我的"), .begins("来自我的"), .frame("获取", "版 outlook"), .begins("发送自 ", named: true)],
        "zh-Hant": [.begins("來自我的"), .begins("寄自我的"), .frame("從我的", "傳送"), .frame("從我的", "寄出"), .frame("取得", "版 outlook")],
        "ja": [.ends("から送信"), .ends("outlook を入手")],
        "ko": [.ends("에서 보냄"), .ends("에서 전송했습니다"), .ends("outlook 받기")],
    ]

    private static let allDeviceLines = deviceLines.values.flatMap { $0 }

    /// Names of phones, mail apps and their makers (lower-cased) that a `named` device line holds.
    static let deviceNames = [
        "iphone", "ipad", "android", "samsung", "galaxy", "outlook", "yahoo", "gmail", "mail", "blackberry", "huawei",
        "xiaomi", "pixel", "smartphone", "windows", "ios", "aol", "proton",
    ].map { Array($0.utf8) }

    /// Words that excuse a short mobile reply (`Sent from my iPhone, please excuse typos`).
    static let excuseWords = [
        "excuse", "typo", "brevity", "brief", "sorry", "entschuldig", "tippfehler", "kürze", "excusez", "fautes",
        "disculp", "errores", "scusa", "errori", "desculp", "erros", "excuseu", "pardon", "fouten",
    ].map { Array($0.utf8) }

    /// A phone's or app's line, and not a sentence of the reply that happens to start the same way:
    /// short, and either a few words without a clause after them or only an excuse for brevity.
    static func isDeviceSignature(_ line: String) -> Bool {
        guard line.utf8.count <= 400, line.count <= 100 else { return false }
        var lower = normalized(line).lowercased()
        // Outlook's `Get Outlook for iOS<https://aka.ms/o0ukef>`.
        while let open = lower.firstIndex(of: "<"), let close = lower[open...].firstIndex(of: ">") {
            lower.removeSubrange(open...close)
        }
        lower = lower.trimmed.trimmingSuffix { $0 == "." || $0 == "!" || $0 == "。" }
        guard let match = allDeviceLines.first(where: { lower.hasPrefix($0.prefix) && lower.hasSuffix($0.suffix) }) else { return false }
        if match.named, !deviceNames.contains(where: { ByteScan.contains(lower, $0) }) { return false }
        // A few words besides the line's own (a long `Diese Nachricht wurde von meinem …` has more).
        let limit = max(8, 6 + match.prefix.split(separator: " ").count)
        guard let stop = lower.firstIndex(where: { ",;:!?(".contains($0) }) else {
            return lower.split(separator: " ").count <= limit
        }
        let rest = lower[stop...]
        return lower[..<stop].split(separator: " ").count <= limit && excuseWords.contains { ByteScan.contains(rest, $0) }
    }

    /// Phrases of list footers (Mailman, Google Groups, Groups.io and translations), lower-cased.
    static let footerPhrases = [
        "mailing list", "listinfo", "to unsubscribe", "unsubscribe:", "you received this message because you are subscribed",
        "google groups", "groups.io", "sie haben diese nachricht erhalten, weil sie", "vous recevez ce message",
        "recibiste este mensaje porque", "recibió este mensaje porque", "hai ricevuto questo messaggio",
        "você recebeu essa mensagem porque", "je hebt dit bericht ontvangen", "otrzymujesz tę wiadomość",
        "du har fått detta meddelande", "вы получили это сообщение", "您收到此邮件是因为", "google グループ", "google 그룹스",
        "lista de correo", "liste de diffusion", "mailingliste",
    ].map { Array($0.utf8) }

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
            if footerPhrases.contains(where: { ByteScan.contains(lower, $0) }) { phraseAt = index }
        }
        return nil
    }
}
