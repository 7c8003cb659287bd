"""The Python side of kafkit's interop tests: Confluent's own serdes (confluent-kafka from PyPI).

Usage: python confluent_interop.py <produce|consume> <protobuf|protobuf-line|json|avro> <bootstrap> <registry-url> <topic> <count> [group [protobuf-reader]]

produce: writes <count> records made by record(i) with the format's Serializer.
consume: reads <count> records with the format's Deserializer and prints them as JSON lines
         (bytes as lists of ints, 64-bit integers as strings), for the TypeScript test to check.
protobuf-line: interop.Order.Line, the message nested after Order's map field; consume also
         prints the record's message indexes and the ones Python's serializer writes for it.
"""
import atexit
import json
import os
import shutil
import sys
import tempfile

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import MessageField, SerializationContext

HERE = os.path.dirname(os.path.abspath(__file__))
CURRENCIES = ["EUR", "NOK", "USD"]
STATUSES = ["OPEN", "SHIPPED"]
TEXT = "ünïcødé ✓"
BIG_BASE = 9007199254740993


def record(i):
    """Record i, the same formula as expectedRecord() in python.ts."""
    return {
        "id": f"r{i}",
        "seq": i,
        "weight": i + 0.25,
        "express": i % 2 == 0,
        "tags": [] if i % 3 == 0 else [f"t{i}", TEXT],
        "status": STATUSES[i % 2],
        "units": BIG_BASE + i,
        "currency": CURRENCIES[i % 3],
        "big": 2**64 - 1 - i,
        "checksum": bytes([i % 256, 255 - i % 256]),
        "sku": f"s{i}",
        "quantity": i % 5,
    }


def order_module():
    """Compiles the .proto files with grpcio-tools' protoc (what a Python team runs) and imports them."""
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="kafkit-interop-pb2-")
    atexit.register(shutil.rmtree, out, True)
    proto_dir = os.path.join(HERE, "proto")
    code = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out}", "interop/money.proto", "interop/order.proto"])
    if code != 0:
        raise SystemExit(f"protoc failed with {code}")
    sys.path.insert(0, out)
    from interop import order_pb2  # noqa: E402

    return order_pb2


AVRO_SCHEMA = json.dumps({
    "type": "record", "name": "Order", "namespace": "interop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "seq", "type": "int"},
        {"name": "weight", "type": "double"},
        {"name": "express", "type": "boolean"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": STATUSES}},
        {"name": "units", "type": "long"},
    ],
})

JSON_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "interop.Order",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "seq": {"type": "integer"},
        "weight": {"type": "number"},
        "express": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "status": {"enum": STATUSES},
        "units": {"type": "string"},
    },
    "required": ["id", "seq", "weight", "express", "tags", "status", "units"],
    "additionalProperties": False,
})


def serializer(fmt, registry):
    if fmt == "protobuf":
        from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

        pb = order_module()
        ser = ProtobufSerializer(pb.Order, registry, {"use.deprecated.format": False})

        def to_message(r):
            return pb.Order(
                id=r["id"], seq=r["seq"], weight=r["weight"], express=r["express"],
                total=pb.interop_dot_money__pb2.Money(currency=r["currency"], units=r["units"]),
                tags=r["tags"], status=pb.Status.Value(r["status"]), attributes={"k": f"v{r['seq']}"},
                checksum=r["checksum"], big=r["big"], lines=[pb.Order.Line(sku=r["sku"], quantity=r["quantity"])],
            )

        return lambda r, ctx: ser(to_message(r), ctx)
    if fmt == "protobuf-line":
        from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

        pb = order_module()
        ser = ProtobufSerializer(pb.Order.Line, registry, {"use.deprecated.format": False})
        return lambda r, ctx: ser(pb.Order.Line(sku=r["sku"], quantity=r["quantity"]), ctx)
    if fmt == "json":
        from confluent_kafka.schema_registry.json_schema import JSONSerializer

        ser = JSONSerializer(JSON_SCHEMA, registry, lambda r, ctx: r)
        keys = ["id", "seq", "weight", "express", "tags", "status"]
        return lambda r, ctx: ser({**{k: r[k] for k in keys}, "units": str(r["units"])}, ctx)
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroSerializer

        ser = AvroSerializer(registry, AVRO_SCHEMA)
        keys = ["id", "seq", "weight", "express", "tags", "status"]
        # avsc reads only safe integers as long: this record's long stays below 2^53.
        return lambda r, ctx: ser({**{k: r[k] for k in keys}, "units": r["seq"] * 1_000_000_007}, ctx)
    raise SystemExit(f"unknown format {fmt}")


def deserializer(fmt, registry, protobuf_reader="registry"):
    if fmt == "protobuf":
        from google.protobuf.json_format import MessageToDict
        from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer

        pb = order_module()
        # With a registry client the deserializer asks for the writer schema with
        # format=serialized (a base64 descriptor); Apicurio 2.6's ccompat API ignores that and
        # returns the .proto text, which Python cannot parse. There it runs without one
        # ("local"): the framing (magic byte, id, message indexes) is still read.
        de = ProtobufDeserializer(pb.Order, {"use.deprecated.format": False}, registry if protobuf_reader == "registry" else None)

        def to_dict(data, ctx):
            msg = de(data, ctx)
            d = MessageToDict(msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
            d["checksum"] = list(msg.checksum)
            return d

        return to_dict
    if fmt == "protobuf-line":
        from google.protobuf.json_format import MessageToDict
        from confluent_kafka.schema_registry.common.protobuf import _create_index_array
        from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer

        pb = order_module()
        de = ProtobufDeserializer(pb.Order.Line, {"use.deprecated.format": False}, registry if protobuf_reader == "registry" else None)
        # What Python's ProtobufSerializer writes for Order.Line: the reference the record's indexes must equal.
        python_indexes = list(_create_index_array(pb.Order.Line.DESCRIPTOR))

        def line_to_dict(data, ctx):
            msg = de(data, ctx)
            value = MessageToDict(msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
            return {"value": value, "indexes": message_indexes(data), "python_indexes": python_indexes}

        return line_to_dict
    if fmt == "json":
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer

        # No schema given: the writer's schema comes from the registry by id, and validates the record.
        de = JSONDeserializer(None, lambda d, ctx: d, registry)
        return lambda data, ctx: de(data, ctx)
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroDeserializer

        de = AvroDeserializer(registry)
        return lambda data, ctx: {**de(data, ctx)}
    raise SystemExit(f"unknown format {fmt}")


def message_indexes(data):
    """The message-index array of a Confluent Protobuf frame: after the 5-byte header, zigzag varints, the count first."""
    pos = 5

    def zigzag():
        nonlocal pos
        shift = result = 0
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)

    count = zigzag()
    return [zigzag() for _ in range(count)] if count > 0 else [0]


def main():
    mode, fmt, bootstrap, url, topic, count = sys.argv[1:7]
    count = int(count)
    registry = SchemaRegistryClient({"url": url})
    if mode == "produce":
        ser = serializer(fmt, registry)
        producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
        for i in range(count):
            ctx = SerializationContext(topic, MessageField.VALUE)
            producer.produce(topic, key=f"r{i}".encode(), value=ser(record(i), ctx))
            producer.poll(0)
        left = producer.flush(60)
        if left:
            raise SystemExit(f"{left} records not delivered")
        print(json.dumps({"produced": count}))
        return
    group = sys.argv[7]
    de = deserializer(fmt, registry, sys.argv[8] if len(sys.argv) > 8 else "registry")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen = 0
    idle = 0
    try:
        while seen < count and idle < 60:
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1
                continue
            if msg.error():
                raise SystemExit(f"consume error: {msg.error()}")
            idle = 0
            value = de(msg.value(), SerializationContext(topic, MessageField.VALUE))
            line = {"key": msg.key().decode(), **(value if fmt == "protobuf-line" else {"value": value})}
            print(json.dumps(line, ensure_ascii=False), flush=True)
            seen += 1
    finally:
        consumer.close()
    if seen < count:
        raise SystemExit(f"only {seen} of {count} records")


if __name__ == "__main__":
    main()
