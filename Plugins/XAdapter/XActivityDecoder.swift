import Foundation
import SwitchboardAdapterAPI

/// Turns one Account Activity API delivery into events. A pure function of the document and our
/// account id, so it is tested on the corpus files directly.
///
/// What is recorded and why (everything left out is an `.ignored` event with its reason, so the
/// hook's answer and the metrics say what was not stored):
/// - `direct_message_events` of type `message_create` from someone else: customer messages.
///   Those we sent ourselves (`sender_id` is our account) come back as events too: `own_message`.
/// - `tweet_create_events` that mention or answer our account: recorded with metadata
///   `public: "true"` and thread `tweet:<id>`, so a reply to them is refused unless public replies
///   are enabled. Our own tweets (`own_message`), retweets and tweets not about us
///   (`not_addressed_to_us`) are not.
/// - `direct_message_mark_read_events` from a customer: a `read` report on the DM it names
///   (`last_read_event_id`); the core ignores ids that are not our replies.
/// - Typing indicators, follows, favourites, blocks, deletions …: `unsupported_event`.
/// - A delivery for another account of the same app (`for_user_id` differs): `other_account`,
///   since it belongs to that account's adapter.
public enum XActivityDecoder {
    /// The event lists this decoder reads; any other `*_events` list is counted as unsupported.
    static let handled: Set<String> = ["direct_message_events", "tweet_create_events", "direct_message_mark_read_events"]

    /// The events of one delivery for account `ourUserID`. Throws `.malformed` for documents that
    /// are not Account Activity events.
    public static func decode(_ document: JSONValue, ourUserID: String) throws(InboundError) -> [InboundEvent] {
        guard let members = document.objectValue else { throw .malformed("an Account Activity event is a JSON object") }
        guard let forUser = document["for_user_id"]?.idText else {
            throw .malformed("not an Account Activity event: 'for_user_id' is missing")
        }
        let lists = members.filter { $0.key.hasSuffix("_events") }
        let count = max(1, lists.values.reduce(0) { $0 + ($1.arrayValue?.count ?? 1) })
        guard forUser == ourUserID else { return Array(repeating: .ignored(reason: .otherAccount), count: count) }
        let users = document["users"]
        var events: [InboundEvent] = []
        for (index, event) in (document["direct_message_events"]?.arrayValue ?? []).enumerated() {
            events.append(try directMessage(event, users: users, ourUserID: ourUserID, index: index))
        }
        for (index, tweet) in (document["tweet_create_events"]?.arrayValue ?? []).enumerated() {
            events.append(try mention(tweet, ourUserID: ourUserID, index: index))
        }
        for read in document["direct_message_mark_read_events"]?.arrayValue ?? [] {
            guard read["sender_id"]?.idText != ourUserID, let last = read["last_read_event_id"]?.idText else {
                events.append(.ignored(reason: .unsupportedEvent))
                continue
            }
            events.append(.deliveryStatus(DeliveryStatusUpdate(externalID: last, state: .read)))
        }
        for (key, list) in lists where !handled.contains(key) {
            events += Array(repeating: .ignored(reason: .unsupportedEvent), count: list.arrayValue?.count ?? 1)
        }
        // A delivery of a kind without an `*_events` list (a revocation's `user_event` …) is
        // something received, too.
        return events.isEmpty ? [.ignored(reason: .unsupportedEvent)] : events
    }

    static func directMessage(_ event: JSONValue, users: JSONValue?, ourUserID: String, index: Int) throws(InboundError) -> InboundEvent {
        guard event["type"]?.text == "message_create" else { return .ignored(reason: .unsupportedEvent) }
        let at = "direct_message_events[\(index)]"
        guard let id = event["id"]?.idText else { throw .malformed("\(at).id is missing (or not a string or whole number)") }
        guard let create = event["message_create"], let sender = create["sender_id"]?.idText else {
            throw .malformed("\(at).message_create.sender_id is missing")
        }
        if sender == ourUserID { return .ignored(reason: .ownMessage) }
        let data = create["message_data"]
        let attachment = data?["attachment"]?["media"].map(XMedia.attachment)
        let text = XMedia.expandingURLs(
            in: data?["text"]?.text ?? "", entities: data?["entities"], removing: data?["attachment"]?["media"]?["url"]?.nonEmptyText)
        var metadata: [String: String] = [:]
        metadata["screen_name"] = users?[sender]?["screen_name"]?.nonEmptyText
        metadata["source_app"] = create["source_app_id"]?.nonEmptyText
        return .message(
            InboundMessage(
                externalID: id,
                from: ChannelIdentity(channel: "x", address: sender),
                customerName: users?[sender]?["name"]?.nonEmptyText,
                text: text,
                sentAt: event["created_timestamp"]?.text.flatMap(Timestamps.parse),
                metadata: metadata,
                attachments: attachment.map { [$0] } ?? []))
    }

    static func mention(_ tweet: JSONValue, ourUserID: String, index: Int) throws(InboundError) -> InboundEvent {
        let at = "tweet_create_events[\(index)]"
        guard let id = tweet["id_str"]?.idText ?? tweet["id"]?.idText else { throw .malformed("\(at).id_str is missing") }
        guard let user = tweet["user"], let author = user["id_str"]?.idText ?? user["id"]?.idText else {
            throw .malformed("\(at).user.id_str is missing")
        }
        if author == ourUserID { return .ignored(reason: .ownMessage) }
        if tweet["retweeted_status"] != nil { return .ignored(reason: .notAddressedToUs) }
        // Long tweets carry their full text and entities in `extended_tweet`.
        let body = tweet["extended_tweet"] ?? tweet
        let entities = body["entities"]
        let mentionsUs = entities?["user_mentions"]?.arrayValue?.contains { ($0["id_str"]?.idText ?? $0["id"]?.idText) == ourUserID } ?? false
        guard mentionsUs || tweet["in_reply_to_user_id_str"]?.idText == ourUserID else { return .ignored(reason: .notAddressedToUs) }

        let media = (body["extended_entities"] ?? tweet["extended_entities"])?["media"]?.arrayValue ?? []
        var text = body["full_text"]?.text ?? body["text"]?.text ?? ""
        for item in media { text = XMedia.expandingURLs(in: text, entities: nil, removing: item["url"]?.nonEmptyText) }
        text = XMedia.expandingURLs(in: text, entities: entities, removing: nil)

        let screenName = user["screen_name"]?.nonEmptyText
        var metadata: [String: String] = ["public": "true", "tweet_id": id]
        metadata["screen_name"] = screenName
        metadata["in_reply_to_tweet"] = tweet["in_reply_to_status_id_str"]?.nonEmptyText
        metadata["url"] = "https://x.com/\(screenName ?? "i/web")/status/\(id)"
        let sentAt =
            tweet["timestamp_ms"]?.text.flatMap(Timestamps.parse)
            ?? tweet["created_at"]?.text.flatMap(Timestamps.parseClassicDate)
        return .message(
            InboundMessage(
                externalID: id,
                from: ChannelIdentity(channel: "x", address: author),
                customerName: user["name"]?.nonEmptyText,
                text: text,
                sentAt: sentAt,
                threadRef: XAdapter.tweetThreadPrefix + id,
                metadata: metadata,
                attachments: media.map(XMedia.attachment)))
    }
}
