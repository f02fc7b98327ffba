//! The Arrow schema of a Parquet file we write, stored the way Arrow's own writers store it:
//! key `ARROW:schema` in the file's key-value metadata, holding the base64 of an Arrow IPC
//! `Schema` message (FlatBuffers, `Schema.fbs`/`Message.fbs` of the Arrow format). Arrow readers
//! (pyarrow, arrow-rs, LanceDB, Spark's Arrow path) then restore what Parquet's own types cannot
//! say: a vector column stored as a Parquet LIST reads as `fixed_size_list<float>[dim]`.

use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

/// The Arrow types our writers use.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrowType {
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `float` (32-bit).
    Float32,
    /// `string`.
    Utf8,
    /// `list<element>`, elements not null.
    List(Box<ArrowType>),
    /// `fixed_size_list<element>[n]`, elements not null.
    FixedSizeList(Box<ArrowType>, i32),
}

// Union tags of `Type` in Schema.fbs.
const TYPE_INT: u8 = 2;
const TYPE_FLOATING_POINT: u8 = 3;
const TYPE_UTF8: u8 = 5;
const TYPE_LIST: u8 = 12;
const TYPE_FIXED_SIZE_LIST: u8 = 16;
/// `Precision.SINGLE`.
const SINGLE: i16 = 1;
/// `MetadataVersion.V5`.
const V5: i16 = 4;
/// `MessageHeader.Schema`.
const HEADER_SCHEMA: u8 = 1;

/// The vtable slot of field `i` of a table.
const fn slot(i: u16) -> u16 {
    4 + 2 * i
}

fn type_table<'b>(b: &mut FlatBufferBuilder<'b>, t: &ArrowType) -> (u8, WIPOffset<UnionWIPOffset>) {
    let start = b.start_table();
    let tag = match t {
        ArrowType::Int32 | ArrowType::Int64 => {
            // table Int { bitWidth: int; is_signed: bool; }
            let bits = if *t == ArrowType::Int32 { 32 } else { 64 };
            b.push_slot::<i32>(slot(0), bits, 0);
            b.push_slot::<bool>(slot(1), true, false);
            TYPE_INT
        }
        ArrowType::Float32 => {
            // table FloatingPoint { precision: Precision; }
            b.push_slot::<i16>(slot(0), SINGLE, 0);
            TYPE_FLOATING_POINT
        }
        ArrowType::Utf8 => TYPE_UTF8,
        ArrowType::List(_) => TYPE_LIST,
        ArrowType::FixedSizeList(_, n) => {
            // table FixedSizeList { listSize: int; }
            b.push_slot::<i32>(slot(0), *n, 0);
            TYPE_FIXED_SIZE_LIST
        }
    };
    let end = b.end_table(start);
    (tag, end.as_union_value())
}

/// table Field { name; nullable; type (union: tag + table); dictionary; children; … }
fn field<'b>(
    b: &mut FlatBufferBuilder<'b>,
    name: &str,
    nullable: bool,
    t: &ArrowType,
) -> WIPOffset<flatbuffers::TableFinishedWIPOffset> {
    let children = match t {
        ArrowType::List(inner) | ArrowType::FixedSizeList(inner, _) => {
            vec![field(b, "element", false, inner)]
        }
        _ => Vec::new(),
    };
    let children = b.create_vector(&children);
    let name = b.create_string(name);
    let (tag, ty) = type_table(b, t);
    let start = b.start_table();
    b.push_slot_always(slot(0), name);
    b.push_slot::<bool>(slot(1), nullable, false);
    b.push_slot::<u8>(slot(2), tag, 0);
    b.push_slot_always(slot(3), ty);
    b.push_slot_always(slot(5), children);
    b.end_table(start)
}

/// The `ARROW:schema` value for columns `(name, type)`, none nullable.
#[must_use]
pub fn schema_metadata(columns: &[(&str, ArrowType)]) -> String {
    let mut b = FlatBufferBuilder::new();
    let fields: Vec<_> = columns
        .iter()
        .map(|(n, t)| field(&mut b, n, false, t))
        .collect();
    let fields = b.create_vector(&fields);
    // table Schema { endianness: Endianness = Little; fields: [Field]; … }
    let start = b.start_table();
    b.push_slot_always(slot(1), fields);
    let schema = b.end_table(start);
    // table Message { version; header (union: tag + table); bodyLength: long; … }
    let start = b.start_table();
    b.push_slot::<i16>(slot(0), V5, 0);
    b.push_slot::<u8>(slot(1), HEADER_SCHEMA, 0);
    b.push_slot_always(slot(2), schema);
    b.push_slot::<i64>(slot(3), 0, 0);
    let message = b.end_table(start);
    b.finish_minimal(message);
    let body = b.finished_data();
    // the encapsulated IPC message: continuation marker, metadata length (padded to 8), metadata
    let padded = body.len().div_ceil(8) * 8;
    let mut ipc = Vec::with_capacity(8 + padded);
    ipc.extend_from_slice(&[0xFF; 4]);
    ipc.extend_from_slice(&i32::try_from(padded).unwrap_or(i32::MAX).to_le_bytes());
    ipc.extend_from_slice(body);
    ipc.resize(8 + padded, 0);
    base64(&ipc)
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }
}
