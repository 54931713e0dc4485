import Foundation
import SwitchboardAdapterAPI

/// Turns one Account Activity API delivery into events. A pure function of the document and our
/// account id, so it is tested on the corpus files directly.
///
/// What is recorded and why:
/// - `direct_message_events` of type `message_create` from someone else: customer messages.
///   Those we sent ourselves (`sender_id` is our account) come back as events too and are skipped.
/// - `tweet_create_events` that mention or answer our account: recorded with metadata
///   `public: "true"` and thread `tweet:<id>`, so a reply to them is refused unless public replies
///   are enabled. Our own tweets and retweets are skipped.
/// - `direct_message_mark_read_events` from a customer: a `read` report on the DM it names
///   (`last_read_event_id`); the core ignores ids that are not our replies.
/// - Typing indicators, follows, favourites, blocks, deletions …: ignored.
/// - A delivery for another account of the same app (`for_user_id` differs): ignored, since it
///   belongs to that account's adapter.
public enum XActivityDecoder {
    /// The events of one delivery for account `ourUserID`; empty when nothing in it is recorded.
    /// Throws `.malformed` for documents that are not Account Activity events.
    public static func decode(_ document: JSONValue, ourUserID: String) throws(InboundError) -> [InboundEvent] {
        guard document.objectValue != nil else { throw .malformed("an Account Activity event is a JSON object") }
        guard let forUser = document["for_user_id"]?.nonEmptyText else {
            throw .malformed("not an Account Activity event: 'for_user_id' is missing")
        }
        guard forUser == ourUserID else { return [] }
        let users = document["users"]
        var events: [InboundEvent] = []
        for (index, event) in (document["direct_message_events"]?.arrayValue ?? []).enumerated() {
            if let message = try directMessage(event, users: users, ourUserID: ourUserID, index: index) {
                events.append(.message(message))
            }
        }
        for (index, tweet) in (document["tweet_create_events"]?.arrayValue ?? []).enumerated() {
            if let message = try mention(tweet, ourUserID: ourUserID, index: index) {
                events.append(.message(message))
            }
        }
        for read in document["direct_message_mark_read_events"]?.arrayValue ?? [] {
            guard read["sender_id"]?.nonEmptyText != ourUserID, let last = read["last_read_event_id"]?.nonEmptyText else { continue }
            events.append(.deliveryStatus(DeliveryStatusUpdate(externalID: last, state: .read)))
        }
        return events
    }

    static func directMessage(_ event: JSONValue, users: JSONValue?, ourUserID: String, index: Int) throws(InboundError) -> InboundMessage? {
        guard event["type"]?.text == "message_create" else { return nil }
        let at = "direct_message_events[\(index)]"
        guard let id = event["id"]?.nonEmptyText else { throw .malformed("\(at).id is missing") }
        guard let create = event["message_create"], let sender = create["sender_id"]?.nonEmptyText else {
            throw .malformed("\(at).message_create.sender_id is missing")
        }
        if sender == ourUserID { return nil }
        let data = create["message_data"]
        let attachment = data?["attachment"]?["media"].map(XMedia.attachment)
        let text = XMedia.expandingURLs(
            in: data?["text"]?.text ?? "", entities: data?["entities"], removing: data?["attachment"]?["media"]?["url"]?.nonEmptyText)
        var metadata: [String: String] = [:]
        metadata["screen_name"] = users?[sender]?["screen_name"]?.nonEmptyText
        metadata["source_app"] = create["source_app_id"]?.nonEmptyText
        return InboundMessage(
            externalID: id,
            from: ChannelIdentity(channel: "x", address: sender),
            customerName: users?[sender]?["name"]?.nonEmptyText,
            text: text,
            sentAt: event["created_timestamp"]?.text.flatMap(Timestamps.parse),
            metadata: metadata,
            attachments: attachment.map { [$0] } ?? [])
    }

    static func mention(_ tweet: JSONValue, ourUserID: String, index: Int) throws(InboundError) -> InboundMessage? {
        let at = "tweet_create_events[\(index)]"
        guard let id = tweet["id_str"]?.nonEmptyText ?? tweet["id"]?.nonEmptyText else { throw .malformed("\(at).id_str is missing") }
        guard let user = tweet["user"], let author = user["id_str"]?.nonEmptyText ?? user["id"]?.nonEmptyText else {
            throw .malformed("\(at).user.id_str is missing")
        }
        if author == ourUserID || tweet["retweeted_status"] != nil { return nil }
        // Long tweets carry their full text and entities in `extended_tweet`.
        let body = tweet["extended_tweet"] ?? tweet
        let entities = body["entities"]
        let mentionsUs = entities?["user_mentions"]?.arrayValue?.contains { ($0["id_str"]?.text ?? $0["id"]?.text) == ourUserID } ?? false
        guard mentionsUs || tweet["in_reply_to_user_id_str"]?.text == ourUserID else { return nil }

        let media = (body["extended_entities"] ?? tweet["extended_entities"])?["media"]?.arrayValue ?? []
        var text = body["full_text"]?.text ?? body["text"]?.text ?? ""
        for item in media { text = XMedia.expandingURLs(in: text, entities: nil, removing: item["url"]?.nonEmptyText) }
        text = XMedia.expandingURLs(in: text, entities: entities, removing: nil)

        let screenName = user["screen_name"]?.nonEmptyText
        var metadata: [String: String] = ["public": "true", "tweet_id": id]
        metadata["screen_name"] = screenName
        metadata["in_reply_to_tweet"] = tweet["in_reply_to_status_id_str"]?.nonEmptyText
        metadata["url"] = "https://x.com/\(screenName ?? "i/web")/status/\(id)"
        let sentAt = tweet["timestamp_ms"]?.text.flatMap(Timestamps.parse)
            ?? tweet["created_at"]?.text.flatMap(XMedia.parseClassicDate)
        return InboundMessage(
            externalID: id,
            from: ChannelIdentity(channel: "x", address: author),
            customerName: user["name"]?.nonEmptyText,
            text: text,
            sentAt: sentAt,
            threadRef: XAdapter.tweetThreadPrefix + id,
            metadata: metadata,
            attachments: media.map(XMedia.attachment))
    }
}
