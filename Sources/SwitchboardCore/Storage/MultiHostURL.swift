/// libpq's multi-host connection URL, `scheme://user@host1:port1,host2:port2/database?query`, as the
/// single-host URLs it stands for (the configuration checks each; the PostgreSQL engine connects to
/// each in turn). Text only: what a URL means is for its reader.
public enum MultiHostURL {
    /// Each host of `url` with the URL naming only it, in order — `scheme://user@host1:port1/database?query`
    /// and so on — the URL itself for its one host; nil when `url` has no `scheme://`.
    public static func hosts(_ url: String) -> [(host: String, url: String)]? {
        guard let hostsStart = url.range(of: "://")?.upperBound else { return nil }
        let rest = url[hostsStart...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var userinfo = ""
        if let at = authority.lastIndex(of: "@") {
            userinfo = String(authority[..<at]) + "@"
            authority = authority[authority.index(after: at)...]
        }
        return authority.split(separator: ",", omittingEmptySubsequences: false).map { host in
            (String(host), String(url[..<hostsStart]) + userinfo + host + rest[authorityEnd...])
        }
    }
}
