//! Only a JSON object is a question. serde's derived `Deserialize` for a
//! struct also takes a JSON array, reading its items as the fields in
//! order, so `["a@x.io","p:q"]` would be asked as `{"user":"a@x.io",
//! "permission":"p:q"}`; `can --batch` refuses that line, and so must the
//! service. [`Object`] reads a value as a struct only when it is written
//! as a JSON object: it asks the format for a map and hands that map to the
//! struct's own `Deserialize` (no copy, no allocation).

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

/// What a value must be, for the message when it is not an object:
/// "invalid type: sequence, expected {EXPECTING}".
pub trait Shape {
    const EXPECTING: &'static str;
}

/// A `T` that was written as a JSON object.
#[derive(Clone, Debug)]
pub struct Object<T>(pub T);

impl<T> Object<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Object<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: Deserialize<'de> + Shape> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Only<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Shape> Visitor<'de> for Only<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(Only(PhantomData)).map(Object)
    }
}
