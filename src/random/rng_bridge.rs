//! A `rand_core` generator drawing from a ferrax key, so `rand_distr` distributions (Gamma,
//! Beta, Poisson, ...) sample reproducibly from ferrax keys.

use crate::prims::bits::threefry_counters;
use crate::tensor::{DType, Tensor};
use rand_core::{Infallible, TryRng};

const BLOCK: usize = 64;

/// A deterministic, counter-based stream of random words derived from a key: word `2c` is
/// `y0` and word `2c + 1` is `y1` of `threefry2x32(key, (c >> 32, c & 0xffffffff))` for
/// counters `c = 0, 1, 2, ...`. The same key always gives the same stream, on every
/// platform and thread count; use a key split off for this purpose (the stream's first
/// words are the words of `split(key, n)`). `next_u64` joins two words, low first;
/// `fill_bytes` writes words little-endian. Implements `rand_core::Rng` (via `TryRng` with
/// `Infallible` errors), so it works with `rand_distr`.
///
/// ```
/// use ferrax::random::{self, KeyRng};
/// use rand_core::Rng;
/// use rand_distr::{Distribution, Gamma};
/// let mut rng = KeyRng::new(&random::key(0));
/// assert_eq!(rng.next_u32(), 1797259609); // = split(key(0), n)[0][0]
/// let g = Gamma::new(2.0f64, 1.0).unwrap();
/// let x: f64 = g.sample(&mut rng);
/// assert!(x > 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct KeyRng {
    key: [u32; 2],
    counter: u64,
    buf: [u32; 2 * BLOCK],
    pos: usize,
}

impl KeyRng {
    /// A stream from a concrete `u32[2]` key. Panics for a traced key (the stream is
    /// produced on the host, outside any transformation).
    ///
    /// ```
    /// use ferrax::random::{self, KeyRng};
    /// let rng = KeyRng::new(&random::key(3));
    /// assert_eq!(rng.key_data(), [0, 3]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor) -> KeyRng {
        assert!(
            key.dtype() == DType::U32 && key.shape() == [2],
            "KeyRng::new: expected a key of type u32[2], got {}",
            key.aval()
        );
        assert!(
            key.is_concrete(),
            "KeyRng::new: the key is traced; KeyRng needs a concrete key"
        );
        let v = key.to_vec::<u32>();
        KeyRng::from_key_data([v[0], v[1]])
    }

    /// A stream from raw key words.
    ///
    /// ```
    /// use ferrax::random::KeyRng;
    /// use rand_core::Rng;
    /// let mut a = KeyRng::from_key_data([0, 1]);
    /// let mut b = KeyRng::from_key_data([0, 1]);
    /// assert_eq!(a.next_u64(), b.next_u64());
    /// ```
    pub fn from_key_data(key: [u32; 2]) -> KeyRng {
        KeyRng {
            key,
            counter: 0,
            buf: [0; 2 * BLOCK],
            pos: 2 * BLOCK,
        }
    }

    /// The key words this stream derives from.
    ///
    /// ```
    /// assert_eq!(ferrax::random::KeyRng::from_key_data([1, 2]).key_data(), [1, 2]);
    /// ```
    pub fn key_data(&self) -> [u32; 2] {
        self.key
    }

    fn refill(&mut self) {
        let (mut y0, mut y1) = ([0u32; BLOCK], [0u32; BLOCK]);
        threefry_counters(self.key, self.counter, &mut y0, &mut y1);
        for i in 0..BLOCK {
            self.buf[2 * i] = y0[i];
            self.buf[2 * i + 1] = y1[i];
        }
        self.counter += BLOCK as u64;
        self.pos = 0;
    }

    #[inline]
    fn word(&mut self) -> u32 {
        if self.pos == self.buf.len() {
            self.refill();
        }
        let w = self.buf[self.pos];
        self.pos += 1;
        w
    }
}

impl TryRng for KeyRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.word())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let lo = self.word() as u64;
        let hi = self.word() as u64;
        Ok(lo | hi << 32)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(4) {
            let w = self.word().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}
