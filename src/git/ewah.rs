//! The EWAH compressed bitmaps of git's split index (`link` extension): read into the
//! positions they set, written word for word as git's `ewah_set` builds them (a port of
//! git's ewah/ewah_bitmap.c, for bits set in increasing order).

use anyhow::{Context, Result, bail};

const RUNNING_BITS: u32 = 32;
const LARGEST_RUNNING: u64 = (1 << RUNNING_BITS) - 1;
const LARGEST_LITERAL: u64 = (1 << (64 - 1 - RUNNING_BITS)) - 1;

fn run_bit(w: u64) -> bool {
    w & 1 != 0
}

fn running_len(w: u64) -> u64 {
    (w >> 1) & LARGEST_RUNNING
}

fn literal_words(w: u64) -> u64 {
    w >> (1 + RUNNING_BITS)
}

/// The positions set in the serialized bitmap at the start of `data`, and the bytes it took.
pub fn read(data: &[u8]) -> Result<(Vec<usize>, usize)> {
    let be32 = |at: usize| -> Result<u32> {
        let b = data.get(at..at + 4).context("corrupt ewah bitmap: too short")?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let _bit_size = be32(0)?;
    let words = usize::try_from(be32(4)?)?;
    let end = 8 + words * 8;
    let body = data.get(8..end).context("corrupt ewah bitmap: words missing")?;
    let rlw = usize::try_from(be32(end)?)?;
    if rlw >= words.max(1) {
        bail!("corrupt ewah bitmap: bad marker position");
    }
    let word = |i: usize| u64::from_be_bytes(body[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let mut set = Vec::new();
    let (mut pos, mut i) = (0usize, 0usize);
    while i < words {
        let marker = word(i);
        let run = usize::try_from(running_len(marker))? * 64;
        if run_bit(marker) {
            set.extend(pos..pos + run);
        }
        pos += run;
        i += 1;
        let literals = usize::try_from(literal_words(marker))?;
        if i + literals > words {
            bail!("corrupt ewah bitmap: literal words missing");
        }
        for _ in 0..literals {
            let w = word(i);
            for bit in 0..64 {
                if w & (1 << bit) != 0 {
                    set.push(pos + bit);
                }
            }
            pos += 64;
            i += 1;
        }
    }
    Ok((set, end + 4))
}

/// The serialized bitmap with `positions` (strictly increasing) set, as git writes it.
pub fn write(positions: &[usize]) -> Vec<u8> {
    let mut map = Builder { buffer: vec![0], rlw: 0, bit_size: 0 };
    for &p in positions {
        map.set(p);
    }
    let mut out = Vec::with_capacity(12 + map.buffer.len() * 8);
    out.extend_from_slice(&(map.bit_size as u32).to_be_bytes());
    out.extend_from_slice(&(map.buffer.len() as u32).to_be_bytes());
    for w in &map.buffer {
        out.extend_from_slice(&w.to_be_bytes());
    }
    out.extend_from_slice(&(map.rlw as u32).to_be_bytes());
    out
}

struct Builder {
    buffer: Vec<u64>,
    /// Index of the current run-length marker word.
    rlw: usize,
    bit_size: usize,
}

impl Builder {
    fn marker(&mut self) -> &mut u64 {
        &mut self.buffer[self.rlw]
    }

    fn set_run_bit(&mut self, v: bool) {
        let w = self.marker();
        *w = if v { *w | 1 } else { *w & !1 };
    }

    fn set_running_len(&mut self, l: u64) {
        let w = self.marker();
        *w = (*w & !(LARGEST_RUNNING << 1)) | (l << 1);
    }

    fn set_literal_words(&mut self, l: u64) {
        let w = self.marker();
        *w = (*w & ((1 << (RUNNING_BITS + 1)) - 1)) | (l << (RUNNING_BITS + 1));
    }

    fn push_marker(&mut self) {
        self.buffer.push(0);
        self.rlw = self.buffer.len() - 1;
    }

    fn set(&mut self, i: usize) {
        let dist = (i + 1).div_ceil(64) - self.bit_size.div_ceil(64);
        self.bit_size = i + 1;
        let bit = 1u64 << (i % 64);
        if dist > 0 {
            if dist > 1 {
                self.add_empty_words(false, (dist - 1) as u64);
            }
            self.add_literal(bit);
            return;
        }
        let m = self.buffer[self.rlw];
        if literal_words(m) == 0 {
            self.set_running_len(running_len(m) - 1);
            self.add_literal(bit);
            return;
        }
        let last = self.buffer.len() - 1;
        self.buffer[last] |= bit;
        if self.buffer[last] == u64::MAX {
            self.buffer.pop();
            let m = self.buffer[self.rlw];
            self.set_literal_words(literal_words(m) - 1);
            self.add_empty_word(true);
        }
    }

    fn add_empty_words(&mut self, v: bool, mut number: u64) {
        let m = self.buffer[self.rlw];
        if run_bit(m) != v && running_len(m) + literal_words(m) == 0 {
            self.set_run_bit(v);
        } else if literal_words(m) != 0 || run_bit(m) != v {
            self.push_marker();
            self.set_run_bit(v);
        }
        let runlen = running_len(self.buffer[self.rlw]);
        let can_add = number.min(LARGEST_RUNNING - runlen);
        self.set_running_len(runlen + can_add);
        number -= can_add;
        while number >= LARGEST_RUNNING {
            self.push_marker();
            self.set_run_bit(v);
            self.set_running_len(LARGEST_RUNNING);
            number -= LARGEST_RUNNING;
        }
        if number > 0 {
            self.push_marker();
            self.set_run_bit(v);
            self.set_running_len(number);
        }
    }

    fn add_literal(&mut self, word: u64) {
        let current = literal_words(self.buffer[self.rlw]);
        if current >= LARGEST_LITERAL {
            self.push_marker();
            self.set_literal_words(1);
        } else {
            self.set_literal_words(current + 1);
        }
        self.buffer.push(word);
    }

    fn add_empty_word(&mut self, v: bool) {
        let m = self.buffer[self.rlw];
        let no_literal = literal_words(m) == 0;
        let run_len = running_len(m);
        if no_literal && run_len == 0 {
            self.set_run_bit(v);
        }
        if no_literal && run_bit(self.buffer[self.rlw]) == v && run_len < LARGEST_RUNNING {
            self.set_running_len(run_len + 1);
        } else {
            self.push_marker();
            self.set_run_bit(v);
            self.set_running_len(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps_read_back_what_was_written() {
        for positions in [
            vec![],
            vec![0],
            vec![3, 64, 65, 700, 100_000],
            (0..64).collect::<Vec<_>>(),
            (0..200).collect::<Vec<_>>(),
            (10..300).chain([5000, 5001]).collect::<Vec<_>>(),
        ] {
            let bytes = write(&positions);
            let (back, used) = read(&bytes).unwrap();
            assert_eq!(back, positions);
            assert_eq!(used, bytes.len());
        }
    }

    #[test]
    fn an_empty_bitmap_is_gits_empty_bitmap() {
        // bit size 0, one word (an empty marker), the marker at 0.
        assert_eq!(write(&[]), [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn a_corrupt_bitmap_is_refused() {
        let mut bytes = write(&[1, 2, 3]);
        bytes.truncate(bytes.len() - 2);
        assert!(read(&bytes).is_err());
    }
}
