// swift-tools-version:6.2
import PackageDescription

// Swift 6 language mode everywhere; warnings are treated as a review failure, not a build failure.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .library(name: "SwitchboardAdapterAPI", targets: ["SwitchboardAdapterAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // 4.x: jwt-kit (OIDC ID tokens) needs it; every other package here accepts 3.x to 5.x.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // OIDC single sign-on: ID tokens verified against the issuer's JWKS.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        // TOTP codes (RFC 6238) for the console's second factor.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        // The customer record's zip (JSON + attachments).
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // The only module an adapter may import: the adapter protocol, normalized messages,
        // typed config reading, signature helpers and the outbound HTTP transport protocol.
        .target(
            name: "SwitchboardAdapterAPI",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Domain, router pipeline, assignment, outbox, event bus. Knows no channel, database or server.
        .target(
            name: "SwitchboardCore",
            dependencies: [
                "SwitchboardAdapterAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),  // SHA-256 of export dumps
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SwitchboardSQLite",
            dependencies: [
                "SwitchboardCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),  // the WAL hook (SQLiteWALSync)
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL (postgres-nio) for several gateways sharing one database.
        .target(
            name: "SwitchboardPostgres",
            dependencies: [
                "SwitchboardCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // GMime, the MIME library the e-mail adapter parses with (Debian: libgmime-3.0-dev). No
        // pkgConfig: gmime-3.0.pc's cflags carry -D_LARGEFILE64_SOURCE and -pthread, which SwiftPM
        // warns about on every build; the targets importing it give the include paths instead.
        .systemLibrary(
            name: "CGMime",
            path: "Sources/CGMime",
            providers: [.apt(["libgmime-3.0-dev"])]
        ),
        .target(
            name: "SwitchboardTransport",
            dependencies: [
                "CCurl",
                "SwitchboardAdapterAPI",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SwitchboardConfig",
            dependencies: [
                "SwitchboardCore",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SwitchboardGateway",
            dependencies: [
                "SwitchboardCore",
                "SwitchboardConfig",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                // PBKDF2 for console passwords.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/console")],
            swiftSettings: swiftSettings
        ),
        // The LMTP listener (RFC 2033): MTAs deliver mail straight into the inbound pipeline.
        .target(
            name: "SwitchboardLMTP",
            dependencies: [
                "SwitchboardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Channel adapters: source targets under Plugins/, one per channel family.
        .target(
            name: "WebhookAdapter",
            dependencies: ["SwitchboardAdapterAPI"],
            path: "Plugins/WebhookAdapter",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MetaAdapter",
            dependencies: ["SwitchboardAdapterAPI"],
            path: "Plugins/MetaAdapter",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TelegramAdapter",
            dependencies: ["SwitchboardAdapterAPI"],
            path: "Plugins/TelegramAdapter",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "XAdapter",
            dependencies: ["SwitchboardAdapterAPI"],
            path: "Plugins/XAdapter",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TwilioAdapter",
            dependencies: ["SwitchboardAdapterAPI"],
            path: "Plugins/TwilioAdapter",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ExternalAdapter",
            dependencies: ["SwitchboardAdapterAPI"],
            path: "Plugins/ExternalAdapter",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EmailAdapter",
            dependencies: ["SwitchboardAdapterAPI", "CGMime"],
            path: "Plugins/EmailAdapter",
            // GMime's and GLib's headers (what `pkg-config --cflags gmime-3.0` names); clients of the
            // adapter need none, since it imports CGMime internally.
            swiftSettings: swiftSettings + [
                .unsafeFlags([
                    "-Xcc", "-I/usr/include/gmime-3.0", "-Xcc", "-I/usr/include/glib-2.0",
                    "-Xcc", "-I/usr/lib/x86_64-linux-gnu/glib-2.0/include", "-Xcc", "-I/usr/lib/aarch64-linux-gnu/glib-2.0/include",
                ])
            ]
        ),
        // Context providers: customer data from the business's own systems, added like adapters.
        .target(
            name: "HTTPContextProvider",
            dependencies: ["SwitchboardAdapterAPI"],
            path: "Plugins/HTTPContextProvider",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PhoneLogAdapter",
            dependencies: ["SwitchboardAdapterAPI"],
            path: "Plugins/PhoneLogAdapter",
            swiftSettings: swiftSettings
        ),
        // glibc's allocator: tuned before main (a constructor), and <malloc.h> for its figures.
        .target(name: "CMalloc", path: "Sources/CMalloc"),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "CMalloc",
                "SwitchboardCore",
                "SwitchboardSQLite",
                "SwitchboardPostgres",
                "SwitchboardTransport",
                "SwitchboardConfig",
                "SwitchboardGateway",
                "SwitchboardLMTP",
                "WebhookAdapter",
                "MetaAdapter",
                "TelegramAdapter",
                "XAdapter",
                "TwilioAdapter",
                "ExternalAdapter",
                "HTTPContextProvider",
                "EmailAdapter",
                "PhoneLogAdapter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What several test targets share: the corpus location, the e2e/support/ helper processes,
        // and the `.integration` trait of the tests that start servers (SWITCHBOARD_INTEGRATION=1).
        .target(
            name: "SwitchboardTestSupport",
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        // The agents, message helpers and hand-moved clock the store tests share.
        .target(
            name: "SwitchboardStoreTestSupport",
            dependencies: ["SwitchboardCore", "SwitchboardAdapterAPI"],
            path: "Tests/StoreSupport",
            swiftSettings: swiftSettings
        ),
        // The store conformance suite: every behaviour scenario of a store, as data each engine's
        // test target runs (SwitchboardMemoryStoreTests, SwitchboardSQLiteTests, SwitchboardPostgresTests).
        .target(
            name: "SwitchboardStoreConformance",
            dependencies: [
                "SwitchboardStoreTestSupport", "SwitchboardCore", "SwitchboardAdapterAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/StoreConformance",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardCoreTests",
            dependencies: ["SwitchboardStoreTestSupport", "SwitchboardCore", "SwitchboardConfig", "WebhookAdapter"],
            // Inputs that crashed a decoder, read from the source tree (Fuzz/ seeds from them too).
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardMemoryStoreTests",
            dependencies: ["SwitchboardStoreConformance", "SwitchboardCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardSQLiteTests",
            dependencies: [
                "SwitchboardStoreConformance", "SwitchboardStoreTestSupport", "SwitchboardSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),  // a migration's backfill, checked on an older schema
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardPostgresTests",
            dependencies: [
                "SwitchboardTestSupport", "SwitchboardStoreTestSupport", "SwitchboardStoreConformance",
                "SwitchboardCore", "SwitchboardPostgres", "SwitchboardSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The gateway's own rules: TOTP (RFC 6238 vectors), single sign-on's encodings and sealed state,
        // the customer record's files.
        .testTarget(
            name: "SwitchboardGatewayTests",
            dependencies: [
                "SwitchboardGateway", "SwitchboardCore", "SwitchboardConfig", "SwitchboardStoreTestSupport",
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SocialAdapterTests",
            dependencies: [
                "SwitchboardTestSupport", "MetaAdapter", "TelegramAdapter", "XAdapter", "TwilioAdapter", "SwitchboardAdapterAPI",
                "SwitchboardTransport",
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExternalAdapterTests",
            dependencies: ["ExternalAdapter", "SwitchboardAdapterAPI"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EmailAdapterTests",
            dependencies: ["SwitchboardTestSupport", "EmailAdapter", "SwitchboardAdapterAPI", .product(name: "Yams", package: "Yams")],
            // Read in place through #filePath, like the shared corpus.
            exclude: ["Fixtures"],
            // `@testable import EmailAdapter` loads CGMime, so the GMime include paths again.
            swiftSettings: swiftSettings + [
                .unsafeFlags([
                    "-Xcc", "-I/usr/include/gmime-3.0", "-Xcc", "-I/usr/include/glib-2.0",
                    "-Xcc", "-I/usr/lib/x86_64-linux-gnu/glib-2.0/include", "-Xcc", "-I/usr/lib/aarch64-linux-gnu/glib-2.0/include",
                ])
            ]
        ),
        .testTarget(
            name: "PhoneLogAdapterTests",
            dependencies: ["SwitchboardTestSupport", "PhoneLogAdapter", "SwitchboardAdapterAPI", "SwitchboardCore", "SwitchboardSQLite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardLMTPTests",
            dependencies: [
                "SwitchboardTestSupport",
                "SwitchboardLMTP", "SwitchboardCore", "SwitchboardAdapterAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardTransportTests",
            dependencies: ["SwitchboardTestSupport", "SwitchboardTransport", "SwitchboardAdapterAPI"],
            swiftSettings: swiftSettings
        ),
    ]
)

// What each fuzz target feeds its decoders (Fuzz/Harness): part of the normal build, and every seed
// is replayed through it by `swift test` (Tests/FuzzHarnessTests), so a harness cannot rot unseen.
package.targets += [
    .target(
        name: "SwitchboardFuzzHarness",
        dependencies: [
            "SwitchboardAdapterAPI", "SwitchboardCore", "SwitchboardConfig", "WebhookAdapter", "MetaAdapter",
            "TelegramAdapter", "XAdapter", "TwilioAdapter", "ExternalAdapter", "EmailAdapter", "PhoneLogAdapter",
            "HTTPContextProvider", .product(name: "Logging", package: "swift-log"),
        ],
        path: "Fuzz/Harness",
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "FuzzHarnessTests",
        dependencies: ["SwitchboardFuzzHarness", "SwitchboardTestSupport"],
        swiftSettings: swiftSettings
    ),
]

// libFuzzer targets for every decoder of untrusted bytes (Fuzz/, `make fuzz`). Declared only when
// SWITCHBOARD_FUZZ=1, so the normal build never links libFuzzer; Fuzz/run.sh builds them into
// .build-fuzz with `-sanitize=fuzzer,address` (Swift code only: the C dependencies stay as they are).
if Context.environment["SWITCHBOARD_FUZZ"] == "1" {
    let fuzzTargets = [
        "FuzzEmail", "FuzzWebhook", "FuzzMeta", "FuzzTelegram", "FuzzX", "FuzzTwilio", "FuzzPhoneLog", "FuzzExternal",
        "FuzzPlatformAnswers", "FuzzConfig",
    ]
    package.targets += [
        // libFuzzer's driver entry point, linked in by -sanitize=fuzzer.
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "SwitchboardFuzzDriver", dependencies: ["CLibFuzzer"], path: "Fuzz/Driver", swiftSettings: swiftSettings),
    ]
    package.targets += fuzzTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: ["SwitchboardFuzzDriver", "SwitchboardFuzzHarness"],
            path: "Fuzz/Targets/\(name)",
            swiftSettings: swiftSettings
        )
    }
}
