import Foundation

/// The words made-up history is written with: a contact centre's Spanish and English, customers
/// with accented names, products, places, order and tracking numbers (so a search has common,
/// medium and rare words to find, as in life). Shared with `switchboard bench-search`, which asks
/// for these words.
public enum HistoryVocabulary {
    public static let firstNames = [
        "Ana", "Luis", "María", "José", "Lucía", "Javier", "Sofía", "Álvaro", "Carmen", "Íñigo", "Marta", "Raúl", "Elena", "Andrés",
        "Paula", "Sergio", "Laura", "Rubén", "Nuria", "Óscar", "Irene", "Jesús", "Noelia", "Adrián", "Beatriz", "Tomás", "Rocío",
        "Martín", "Inés", "Joaquín", "Olga", "Iván", "Pilar", "Víctor", "Ángela", "Hugo", "Julia", "Ramón", "Alicia", "Emma",
        "Oliver", "Grace", "Harry", "Chloe", "Jack", "Amelia", "Noah", "Isla", "George", "Ava",
    ]
    public static let lastNames = [
        "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez",
        "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres",
        "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Suárez", "Ortega",
        "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez", "Iglesias", "Medina", "Garrido", "Cortés", "Castillo",
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
    ]
    public static let domains = ["example.com", "correo.es", "mail.example.org", "empresa.es", "inbox.example.net"]
    public static let products = [
        "lavadora", "frigorífico", "portátil", "auriculares", "televisor", "cafetera", "aspiradora", "colchón", "bicicleta",
        "patinete", "microondas", "impresora", "tableta", "móvil", "cámara", "altavoz", "reloj", "sofá", "escritorio", "lámpara",
        "washing machine", "fridge", "laptop", "headphones", "television", "coffee maker", "vacuum cleaner", "mattress",
        "bicycle", "scooter", "printer", "tablet", "phone", "camera", "speaker", "watch", "sofa", "desk", "lamp", "router",
    ]
    public static let cities = [
        "Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga", "Murcia", "Palma", "Bilbao", "Alicante", "Córdoba",
        "Valladolid", "Vigo", "Gijón", "A Coruña", "Granada", "Vitoria", "Elche", "Oviedo", "Cádiz", "León", "Cáceres", "Logroño",
        "Jaén", "Almería", "Huelva", "Salamanca", "Badajoz", "Pamplona", "San Sebastián", "London", "Manchester", "Dublin",
    ]
    public static let carriers = ["SEUR", "Correos", "MRW", "DHL", "UPS", "GLS", "Nacex", "Envialia"]

    /// Customer messages: `{p}` product, `{o}` order number, `{c}` city, `{k}` carrier, `{t}` tracking number, `{n}` amount.
    public static let inbound = [
        "Hola, mi pedido {o} todavía no ha llegado. ¿Podéis decirme dónde está?",
        "El camión de {k} pasó por {c} pero no dejó el paquete del pedido {o}.",
        "He recibido la {p} rota, quiero devolverla. Pedido {o}.",
        "¿Cuándo llega mi {p}? Lo pedí hace una semana (pedido {o}).",
        "Me habéis cobrado {n} € dos veces por el pedido {o}, necesito el reembolso.",
        "Quiero cambiar la dirección de entrega a {c}, pedido {o}.",
        "La factura del pedido {o} tiene mal el NIF, ¿me la podéis corregir?",
        "El seguimiento {t} de {k} dice entregado pero no tengo nada.",
        "Buenas tardes, la {p} no enciende desde ayer. ¿Tiene garantía?",
        "¿Hacéis envíos a {c}? Quiero comprar una {p}.",
        "Hi, my order {o} hasn't arrived yet. Can you check the tracking {t}?",
        "The {p} I received is damaged, I would like a refund for order {o}.",
        "I was charged {n} twice for order {o}, please refund the duplicate payment.",
        "Can I change the delivery address of order {o} to {c}?",
        "The courier {k} says delivered but nothing arrived in {c}.",
        "My {p} stopped working after two days. Is it under warranty?",
        "Please cancel order {o}, I ordered the wrong {p}.",
        "Where is my invoice for order {o}? I need it for my company.",
    ]
    /// Agents' replies.
    public static let outbound = [
        "Hola, hemos revisado el pedido {o}: sale hoy desde nuestro almacén con {k}, seguimiento {t}.",
        "Sentimos las molestias. Hemos abierto una incidencia con {k} para el pedido {o}.",
        "Te hemos hecho el reembolso de {n} €; lo verás en tu cuenta en 3-5 días hábiles.",
        "Hemos cambiado la dirección de entrega a {c}. El pedido {o} llegará el jueves.",
        "Te enviamos una etiqueta de devolución para la {p}; un mensajero pasará a recogerla.",
        "La {p} tiene dos años de garantía. Te mandamos un técnico a {c}.",
        "Hi, we checked order {o}: it left our warehouse today with {k}, tracking {t}.",
        "We are sorry for the trouble. The refund of {n} is on its way.",
        "We have updated the delivery address to {c} for order {o}.",
        "Your {p} is covered by the warranty; a technician will contact you.",
    ]
    /// Internal notes.
    public static let notes = [
        "Llamar a {k} por el pedido {o}, el cliente está muy molesto.",
        "Cliente VIP, revisar el reembolso de {n} € antes del viernes.",
        "Check with billing about the duplicate charge on order {o}.",
        "Pedido {o}: el almacén de {c} confirma rotura en transporte.",
    ]
    public static let subjects = [
        "Pedido {o}", "Re: Pedido {o}", "Devolución {p}", "Factura pedido {o}", "Reembolso pendiente", "Incidencia entrega {c}",
        "Order {o}", "Refund request", "Damaged {p}", "Invoice for order {o}",
    ]
    public static let tags = ["refund", "delivery", "damaged", "invoice", "warranty", "vip", "address", "cancel", "reembolso", "envio"]

    /// Words a search benchmark asks for, from common to rare (order numbers are drawn separately).
    public static let commonWords = ["pedido", "order", "refund", "entrega", "factura", "garantía", "paquete", "tracking"]
    public static let mediumWords = products.filter { !$0.contains(" ") } + cities.filter { !$0.contains(" ") } + carriers
    /// The order numbers history uses (`A-100000` … `A-999999`): any one is rare.
    public static func orderNumber(_ n: Int) -> String { "A-\(100_000 + n % 900_000)" }
}
