import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import SwitchboardCore

/// `GET /api/v1/events`: the caller's live events as Server-Sent Events, with a comment line every
/// `heartbeat` so proxies keep the connection and clients notice a dead one.
struct EventStreamRoute {
    let events: EventBus
    let heartbeat: Duration

    func add(to api: RouterGroup<GatewayContext>) {
        api.get("events") { _, context in
            let viewer = Viewer(try context.requireAgent())
            let subscription = events.subscribe(viewer)
            let heartbeat = self.heartbeat
            let body = ResponseBody { writer in
                let (frames, output) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(2000))
                output.yield(ByteBuffer(string: ": connected\nretry: 2000\n\n"))
                try await withGracefulShutdownHandler {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await event in subscription {
                                var frame = ByteBuffer(string: "id: \(event.id)\nevent: \(event.type)\ndata: ")
                                frame.writeBytes(event.data)
                                frame.writeString("\n\n")
                                output.yield(frame)
                            }
                            output.finish()
                        }
                        group.addTask {
                            while !Task.isCancelled {
                                try await Task.sleep(for: heartbeat)
                                output.yield(ByteBuffer(string: ": keep-alive\n\n"))
                            }
                        }
                        // Ends when the bus finishes or the client goes away (a write throws).
                        for await frame in frames {
                            try await writer.write(frame)
                        }
                        group.cancelAll()
                    }
                } onGracefulShutdown: {
                    output.finish()
                }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .init("X-Accel-Buffering")!: "no"],
                body: body)
        }
    }
}
