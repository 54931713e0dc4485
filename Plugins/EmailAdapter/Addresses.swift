internal import CGMime

/// Reads GMime's address lists into ``EmailAddress`` values, flattening groups.
enum Addresses {
    static func read(_ list: UnsafeMutablePointer<InternetAddressList>?, depth: Int = 0) -> [EmailAddress] {
        guard let list, depth < 3 else { return [] }
        var result: [EmailAddress] = []
        for index in 0..<internet_address_list_length(list) {
            guard let address = internet_address_list_get_address(list, index) else { continue }
            if cgmime_is_mailbox(address) != 0 {
                let spec = GMimeRuntime.string(internet_address_mailbox_get_addr(cgmime_as_mailbox(address)))?.trimmed ?? ""
                guard spec.utf8.contains(UInt8(ascii: "@")) else { continue }
                let name = GMimeRuntime.string(internet_address_get_name(address)).map(MimeParser.cleanHeaderText)
                result.append(EmailAddress(name: name?.isEmpty == true ? nil : name, address: spec))
            } else if cgmime_is_group(address) != 0 {
                result += read(internet_address_group_get_members(cgmime_as_group(address)), depth: depth + 1)
            }
        }
        return result
    }
}
