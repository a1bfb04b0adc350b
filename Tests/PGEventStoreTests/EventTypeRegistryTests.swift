import Foundation
import PGWire
import Testing

@testable import PGEventStore

private struct OrderPlaced: TypedEvent, Equatable {
    static let eventType = "OrderPlaced"
    var orderID: Int
}

private struct OrderShipped: Codable, Sendable, Equatable {
    var orderID: Int
    var carrier: String
}

private struct OrderShippedV2: Codable, Sendable, Equatable {
    var orderID: Int
}

/// No acronym in the key, so snake-case conversion goes both ways.
private struct ParcelSent: Codable, Sendable, Equatable {
    var parcelNumber: Int
    var carrier: String
}

@Suite struct EventTypeRegistryTests {
    @Test func eventTypeRoundTrip() throws {
        var registry = EventTypeRegistry()
        registry.register(OrderPlaced.self)
        let id = UUIDv7.generate()
        let metadata = EventMetadata(correlationID: id)
        let event = try registry.newEvent(OrderPlaced(orderID: 42), id: id, metadata: metadata)
        #expect(event.type == "OrderPlaced")
        #expect(event.id == id)
        #expect(event.metadata == metadata)
        #expect(event.data.text == #"{"orderID":42}"#)
        let decoded = try registry.decode(type: "OrderPlaced", data: event.data)
        #expect(decoded.value(as: OrderPlaced.self) == OrderPlaced(orderID: 42))
        #expect(decoded.value(as: OrderShipped.self) == nil)
    }

    @Test func registerUnderExplicitName() throws {
        var registry = EventTypeRegistry()
        registry.register(OrderShipped.self, as: "order.shipped")
        let event = try registry.newEvent(OrderShipped(orderID: 1, carrier: "DHL"))
        #expect(event.type == "order.shipped")
        let decoded = try registry.decode(type: "order.shipped", data: event.data)
        #expect(decoded.value(as: OrderShipped.self) == OrderShipped(orderID: 1, carrier: "DHL"))
    }

    @Test func nameUsesTheDynamicType() {
        var registry = EventTypeRegistry()
        registry.register(OrderPlaced.self)
        let erased: any Encodable = OrderPlaced(orderID: 1)
        #expect(registry.name(for: erased) == "OrderPlaced")
        #expect(registry.name(for: OrderShipped(orderID: 1, carrier: "x")) == nil)
    }

    @Test func unregisteredValueCannotBecomeAnEvent() {
        let registry = EventTypeRegistry()
        let failure = error { _ = try registry.newEvent(OrderShipped(orderID: 1, carrier: "x")) }
        #expect(failure?.code == .unregisteredEventType)
        #expect(failure?.message.contains("OrderShipped") == true)
    }

    @Test func unknownTypeNameKeepsRawJSON() throws {
        let registry = EventTypeRegistry()
        let data = PGRawJSON(#"{"written":"by newer code"}"#)
        let decoded = try registry.decode(type: "FutureEvent", data: data)
        guard case .unknown(let type, let raw) = decoded else {
            Issue.record("expected .unknown, got \(decoded)")
            return
        }
        #expect(type == "FutureEvent")
        #expect(raw == data)
        #expect(decoded.value(as: OrderPlaced.self) == nil)
    }

    @Test func registeredTypeWithBadDataIsDecodingError() {
        var registry = EventTypeRegistry()
        registry.register(OrderPlaced.self)
        let failure = error { _ = try registry.decode(type: "OrderPlaced", data: PGRawJSON(#"{"orderID":"x"}"#)) }
        #expect(failure?.code == .decoding)
        #expect(failure?.message.contains("\"OrderPlaced\"") == true)
        #expect(failure?.underlying is DecodingError)
    }

    @Test func secondTypeUnderOneNameReplacesTheFirst() throws {
        var registry = EventTypeRegistry()
        registry.register(OrderShipped.self, as: "OrderShipped")
        registry.register(OrderShippedV2.self, as: "OrderShipped")
        #expect(registry.name(for: OrderShipped(orderID: 1, carrier: "x")) == nil)
        #expect(registry.name(for: OrderShippedV2(orderID: 1)) == "OrderShipped")
        let decoded = try registry.decode(type: "OrderShipped", data: PGRawJSON(#"{"orderID":3,"carrier":"x"}"#))
        #expect(decoded.value(as: OrderShippedV2.self) == OrderShippedV2(orderID: 3))
    }

    @Test func secondNameForOneTypeReplacesTheFirst() throws {
        var registry = EventTypeRegistry()
        registry.register(OrderShipped.self, as: "old.name")
        registry.register(OrderShipped.self, as: "new.name")
        #expect(registry.name(for: OrderShipped(orderID: 1, carrier: "x")) == "new.name")
        let data = PGRawJSON(#"{"orderID":3,"carrier":"x"}"#)
        guard case .unknown = try registry.decode(type: "old.name", data: data) else {
            Issue.record("old name still registered")
            return
        }
        #expect(try registry.decode(type: "new.name", data: data).value(as: OrderShipped.self) != nil)
    }

    @Test func usesTheGivenEncoderAndDecoder() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var registry = EventTypeRegistry(encoder: encoder, decoder: decoder)
        registry.register(ParcelSent.self, as: "ParcelSent")
        let event = try registry.newEvent(ParcelSent(parcelNumber: 9, carrier: "UPS"))
        #expect(event.data.text == #"{"carrier":"UPS","parcel_number":9}"#)
        let decoded = try registry.decode(type: "ParcelSent", data: event.data)
        #expect(decoded.value(as: ParcelSent.self) == ParcelSent(parcelNumber: 9, carrier: "UPS"))
    }

    @Test func invalidRegisteredNameFailsWhenMakingAnEvent() {
        var registry = EventTypeRegistry()
        registry.register(OrderShipped.self, as: "")
        #expect(error { _ = try registry.newEvent(OrderShipped(orderID: 1, carrier: "x")) }?.code == .invalidArgument)
    }
}
