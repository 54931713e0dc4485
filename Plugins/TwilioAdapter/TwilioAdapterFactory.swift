import SwitchboardAdapterAPI

/// Builds `twilio-sms` adapters. (Placeholder: being written.)
public enum TwilioAdapterFactories {
    public static let all: [any ChannelAdapterFactory] = []
}
