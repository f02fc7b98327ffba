//! A pickle reader for tensor state dicts, and nothing else.
//!
//! Unpickling in Python is code execution: `GLOBAL` names any callable and `REDUCE` calls it.
//! This reader runs no code and builds no objects beyond plain values. It accepts the opcodes
//! `torch.save` emits (protocols 2–5) and an allow-list of globals — `collections.OrderedDict`,
//! the tensor and parameter rebuild functions of `torch._utils` / `torch._tensor`, and the
//! typed storage classes — and interprets those few calls itself. Any other global is an error
//! that names it (`os.system`, `builtins.eval`, …); so is any opcode outside the list.
//!
//! Every allocation is bounded by the bytes of the pickle: lengths are checked against what
//! remains before anything is read, and the memo and stack grow by at most one value per
//! opcode.

use std::collections::HashMap;

use super::tensor::DType;

/// A value on the pickle machine's stack.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// A boolean.
    Bool(bool),
    /// An integer (up to 64 bits).
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A list.
    List(Vec<Value>),
    /// A dict (or `OrderedDict`), in insertion order.
    Dict(Vec<(Value, Value)>),
    /// An allowed global (`module.name`), not yet called.
    Global(String),
    /// A storage referenced by persistent id: its element type, archive key and elements.
    Storage {
        /// `None` for a storage class that holds no float type.
        dtype: Option<DType>,
        /// Its storage class name, e.g. `FloatStorage`.
        class: String,
        /// The file name under `data/` in the archive.
        key: String,
        /// Number of elements.
        numel: u64,
    },
    /// A tensor: a view into a storage.
    Tensor(Box<TensorRef>),
    /// The stack mark.
    Mark,
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    /// Element type, when the storage holds floats.
    pub dtype: Option<DType>,
    /// Storage class (for messages).
    pub class: String,
    /// Archive key of the storage.
    pub key: String,
    /// Elements in the storage.
    pub storage_numel: u64,
    /// First element of the view.
    pub offset: u64,
    /// Shape.
    pub shape: Vec<u64>,
    /// Strides in elements.
    pub stride: Vec<u64>,
}

/// Globals a tensor state dict needs; anything else is refused.
const ALLOWED: &[&str] = &[
    "collections.OrderedDict",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2",
    "torch.nn.parameter.Parameter",
    "torch.Tensor",
    "torch.FloatStorage",
    "torch.HalfStorage",
    "torch.BFloat16Storage",
    "torch.DoubleStorage",
    "torch.LongStorage",
    "torch.IntStorage",
    "torch.ShortStorage",
    "torch.CharStorage",
    "torch.ByteStorage",
    "torch.BoolStorage",
    "torch.float32",
    "torch.float16",
    "torch.bfloat16",
    "torch.float64",
];

fn storage_dtype(class: &str) -> Option<DType> {
    match class {
        "FloatStorage" => Some(DType::F32),
        "HalfStorage" => Some(DType::F16),
        "BFloat16Storage" => Some(DType::BF16),
        "DoubleStorage" => Some(DType::F64),
        _ => None,
    }
}

/// Bytes per element of a storage class (for bounds checks of non-float storages too).
pub fn storage_elem_size(class: &str) -> u64 {
    match class {
        "DoubleStorage" | "LongStorage" => 8,
        "FloatStorage" | "IntStorage" => 4,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        _ => 1,
    }
}

struct Machine<'a> {
    b: &'a [u8],
    at: usize,
    stack: Vec<Value>,
    memo: HashMap<u32, Value>,
}

type R<T> = std::result::Result<T, String>;

impl Machine<'_> {
    fn take(&mut self, n: usize) -> R<&[u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> R<u16> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> R<u32> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> R<u64> {
        let s = self.take(8)?;
        Ok(u64::from_le_bytes(s.try_into().map_err(|_| "u64")?))
    }
    fn line(&mut self) -> R<String> {
        let rest = &self.b[self.at..];
        let n = rest
            .iter()
            .position(|&c| c == b'\n')
            .ok_or("a GLOBAL without its newline")?;
        let s = String::from_utf8_lossy(&rest[..n]).to_string();
        self.at += n + 1;
        Ok(s)
    }
    fn pop(&mut self) -> R<Value> {
        self.stack
            .pop()
            .ok_or_else(|| "pop from an empty stack".to_string())
    }
    /// Values above the topmost mark, removing the mark.
    fn pop_mark(&mut self) -> R<Vec<Value>> {
        let m = self
            .stack
            .iter()
            .rposition(|v| *v == Value::Mark)
            .ok_or("no MARK on the stack")?;
        let items = self.stack.split_off(m + 1);
        self.stack.pop();
        Ok(items)
    }
    fn text(&mut self, n: usize) -> R<Value> {
        let s = self.take(n)?;
        Ok(Value::Str(String::from_utf8_lossy(s).to_string()))
    }
    fn global(&self, name: String) -> R<Value> {
        if ALLOWED.contains(&name.as_str()) {
            Ok(Value::Global(name))
        } else {
            Err(format!(
                "the pickle refers to the global '{name}', which a tensor state dict does not need: refused (nothing is executed)"
            ))
        }
    }
}

fn as_u64(v: &Value, what: &str) -> R<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).map_err(|_| format!("{what} is negative")),
        _ => Err(format!("{what} is not an integer")),
    }
}

fn as_dims(v: &Value, what: &str) -> R<Vec<u64>> {
    match v {
        Value::Tuple(t) | Value::List(t) => t.iter().map(|x| as_u64(x, what)).collect(),
        _ => Err(format!("{what} is not a tuple")),
    }
}

/// Interpret a call of an allowed global.
fn call(f: &str, args: Vec<Value>) -> R<Value> {
    match f {
        "collections.OrderedDict" if args.is_empty() => Ok(Value::Dict(Vec::new())),
        "torch._utils._rebuild_tensor_v2" if args.len() >= 4 => {
            let Value::Storage {
                dtype,
                class,
                key,
                numel,
            } = &args[0]
            else {
                return Err("_rebuild_tensor_v2 without a storage".into());
            };
            let shape = as_dims(&args[2], "a tensor's size")?;
            let stride = as_dims(&args[3], "a tensor's stride")?;
            if shape.len() != stride.len() {
                return Err("a tensor's size and stride differ in length".into());
            }
            Ok(Value::Tensor(Box::new(TensorRef {
                dtype: *dtype,
                class: class.clone(),
                key: key.clone(),
                storage_numel: *numel,
                offset: as_u64(&args[1], "a storage offset")?,
                shape,
                stride,
            })))
        }
        "torch._utils._rebuild_parameter" | "torch._utils._rebuild_parameter_with_state"
            if !args.is_empty() =>
        {
            Ok(args.into_iter().next().unwrap_or(Value::None))
        }
        "torch._tensor._rebuild_from_type_v2" if args.len() >= 3 => {
            let mut it = args.into_iter();
            let (func, _ty, inner) = (it.next(), it.next(), it.next());
            match (func, inner) {
                (Some(Value::Global(g)), Some(Value::Tuple(a))) => call(&g, a),
                _ => Err("_rebuild_from_type_v2 with unexpected arguments".into()),
            }
        }
        _ => Err(format!(
            "'{f}' called with {} arguments, which torch.save never writes",
            args.len()
        )),
    }
}

/// Run `bytes` (a `data.pkl`) and return the value it builds.
pub fn load(bytes: &[u8]) -> std::result::Result<Value, String> {
    let mut m = Machine {
        b: bytes,
        at: 0,
        stack: Vec::new(),
        memo: HashMap::new(),
    };
    loop {
        let at = m.at;
        let op = m.u8()?;
        match op {
            0x80 => {
                let p = m.u8()?;
                if p > 5 {
                    return Err(format!("pickle protocol {p}"));
                }
            }
            0x95 => {
                m.u64()?; // FRAME: a length hint only
            }
            b'.' => return m.pop(),
            b'}' => m.stack.push(Value::Dict(Vec::new())),
            b']' => m.stack.push(Value::List(Vec::new())),
            b')' => m.stack.push(Value::Tuple(Vec::new())),
            b'(' => m.stack.push(Value::Mark),
            b'N' => m.stack.push(Value::None),
            0x88 => m.stack.push(Value::Bool(true)),
            0x89 => m.stack.push(Value::Bool(false)),
            b'K' => {
                let v = m.u8()?;
                m.stack.push(Value::Int(i64::from(v)));
            }
            b'M' => {
                let v = m.u16()?;
                m.stack.push(Value::Int(i64::from(v)));
            }
            b'J' => {
                let v = m.u32()? as i32;
                m.stack.push(Value::Int(i64::from(v)));
            }
            0x8a => {
                let n = m.u8()? as usize;
                if n > 8 {
                    return Err(format!("a {n}-byte integer at byte {at}"));
                }
                let s = m.take(n)?;
                let mut b = [0u8; 8];
                b[..n].copy_from_slice(s);
                if n > 0 && n < 8 && s[n - 1] & 0x80 != 0 {
                    b[n..].fill(0xff);
                }
                m.stack.push(Value::Int(i64::from_le_bytes(b)));
            }
            b'G' => {
                let s = m.take(8)?;
                let v = f64::from_be_bytes(s.try_into().map_err(|_| "float")?);
                m.stack.push(Value::Float(v));
            }
            b'X' => {
                let n = m.u32()? as usize;
                let v = m.text(n)?;
                m.stack.push(v);
            }
            0x8c => {
                let n = m.u8()? as usize;
                let v = m.text(n)?;
                m.stack.push(v);
            }
            0x8d => {
                let n = usize::try_from(m.u64()?).map_err(|_| "length")?;
                let v = m.text(n)?;
                m.stack.push(v);
            }
            b'C' | b'B' | 0x8e => {
                let n = match op {
                    b'C' => m.u8()? as usize,
                    b'B' => m.u32()? as usize,
                    _ => usize::try_from(m.u64()?).map_err(|_| "length")?,
                };
                let v = m.take(n)?.to_vec();
                m.stack.push(Value::Bytes(v));
            }
            b'c' => {
                let module = m.line()?;
                let name = m.line()?;
                let g = m.global(format!("{module}.{name}"))?;
                m.stack.push(g);
            }
            0x93 => {
                let name = m.pop()?;
                let module = m.pop()?;
                match (module, name) {
                    (Value::Str(a), Value::Str(b)) => {
                        let g = m.global(format!("{a}.{b}"))?;
                        m.stack.push(g);
                    }
                    _ => return Err("STACK_GLOBAL of non-strings".into()),
                }
            }
            b'q' => {
                let k = u32::from(m.u8()?);
                let v = m.stack.last().ok_or("BINPUT on an empty stack")?.clone();
                m.memo.insert(k, v);
            }
            b'r' => {
                let k = m.u32()?;
                let v = m.stack.last().ok_or("LONG_BINPUT on an empty stack")?.clone();
                m.memo.insert(k, v);
            }
            0x94 => {
                let k = m.memo.len() as u32;
                let v = m.stack.last().ok_or("MEMOIZE on an empty stack")?.clone();
                m.memo.insert(k, v);
            }
            b'h' | b'j' => {
                let k = if op == b'h' { u32::from(m.u8()?) } else { m.u32()? };
                let v = m.memo.get(&k).ok_or_else(|| format!("memo {k} unset"))?.clone();
                m.stack.push(v);
            }
            b't' => {
                let items = m.pop_mark()?;
                m.stack.push(Value::Tuple(items));
            }
            0x85..=0x87 => {
                let n = (op - 0x84) as usize;
                if m.stack.len() < n {
                    return Err("TUPLE of too few items".into());
                }
                let items = m.stack.split_off(m.stack.len() - n);
                m.stack.push(Value::Tuple(items));
            }
            b'a' => {
                let v = m.pop()?;
                match m.stack.last_mut() {
                    Some(Value::List(l)) => l.push(v),
                    _ => return Err("APPEND to a non-list".into()),
                }
            }
            b'e' => {
                let items = m.pop_mark()?;
                match m.stack.last_mut() {
                    Some(Value::List(l)) => l.extend(items),
                    _ => return Err("APPENDS to a non-list".into()),
                }
            }
            b's' => {
                let v = m.pop()?;
                let k = m.pop()?;
                match m.stack.last_mut() {
                    Some(Value::Dict(d)) => d.push((k, v)),
                    _ => return Err("SETITEM on a non-dict".into()),
                }
            }
            b'u' => {
                let items = m.pop_mark()?;
                if items.len() % 2 != 0 {
                    return Err("SETITEMS with an odd count".into());
                }
                let Some(Value::Dict(d)) = m.stack.last_mut() else {
                    return Err("SETITEMS on a non-dict".into());
                };
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    d.push((k, v));
                }
            }
            b'R' => {
                let args = m.pop()?;
                let f = m.pop()?;
                let (Value::Global(f), Value::Tuple(args)) = (f, args) else {
                    return Err(format!("REDUCE at byte {at} of something other than an allowed global"));
                };
                let v = call(&f, args)?;
                m.stack.push(v);
            }
            b'b' => {
                // BUILD sets an object's state (an OrderedDict's `_metadata`, a parameter's
                // attributes): nothing this reader needs, so the state is dropped.
                m.pop()?;
                if m.stack.is_empty() {
                    return Err("BUILD on an empty stack".into());
                }
            }
            b'Q' => {
                let pid = m.pop()?;
                let Value::Tuple(t) = pid else {
                    return Err("a persistent id that is not a tuple".into());
                };
                match t.as_slice() {
                    [Value::Str(tag), Value::Global(class), Value::Str(key), _location, n]
                        if tag == "storage" =>
                    {
                        let class = class.rsplit('.').next().unwrap_or_default().to_string();
                        m.stack.push(Value::Storage {
                            dtype: storage_dtype(&class),
                            class,
                            key: key.clone(),
                            numel: as_u64(n, "a storage size")?,
                        });
                    }
                    _ => return Err("a persistent id other than a torch storage".into()),
                }
            }
            other => {
                return Err(format!(
                    "opcode {other:#04x} at byte {at} is not one torch.save writes for a state dict: refused"
                ))
            }
        }
        if m.stack.len() > bytes.len() {
            return Err("stack larger than the pickle".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_globals_are_refused_by_name() {
        // cos\nsystem\n(S'echo hi'\ntR.  — the classic pickle exploit
        let e = load(b"cos\nsystem\n(X\x07\x00\x00\x00echo hitR.").unwrap_err();
        assert!(e.contains("'os.system'") && e.contains("refused"), "{e}");
        let e = load(b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93.").unwrap_err();
        assert!(e.contains("'builtins.eval'"), "{e}");
    }

    #[test]
    fn plain_values_and_an_ordered_dict() {
        // OrderedDict() then SETITEMS {'a': 1, 'b': -2}
        let p = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00bJ\xfe\xff\xff\xffu.";
        assert_eq!(
            load(p).unwrap(),
            Value::Dict(vec![
                (Value::Str("a".into()), Value::Int(1)),
                (Value::Str("b".into()), Value::Int(-2)),
            ])
        );
        assert!(load(b"\x80\x02X\xff\xff\xff\xff")
            .unwrap_err()
            .contains("truncated"));
        assert!(load(b"\x80\x02R.").is_err());
        assert!(load(b"i").unwrap_err().contains("opcode"));
    }
}
