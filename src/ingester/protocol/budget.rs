//! How many bytes one request may inflate, across every payload it holds: a gzip push can
//! carry gzipped profiles, and each of them must not get the whole allowance again.

use std::cell::Cell;

use super::Rejection;

/// The bytes a request may still inflate; shared by every decoder of that request.
#[derive(Debug)]
pub struct Budget {
    total: usize,
    remaining: Cell<usize>,
    ran_out: Cell<bool>,
}

impl Budget {
    pub fn new(total: usize) -> Self {
        Self {
            total,
            remaining: Cell::new(total),
            ran_out: Cell::new(false),
        }
    }

    pub fn total(&self) -> usize {
        self.total
    }

    pub fn remaining(&self) -> usize {
        self.remaining.get()
    }

    /// Takes `bytes` off what is left; the caller has checked they fit.
    pub fn spend(&self, bytes: usize) {
        self.remaining
            .set(self.remaining.get().saturating_sub(bytes));
    }

    /// The refusal for a payload that does not fit, remembered so that a caller that tried
    /// a small budget first knows to try again with a larger one.
    pub fn exhausted(&self) -> Rejection {
        self.ran_out.set(true);
        Rejection::TooLarge(format!(
            "the payloads inflate past {} bytes in all",
            self.total
        ))
    }

    /// Whether some payload was refused for want of budget.
    pub fn ran_out(&self) -> bool {
        self.ran_out.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_is_shared_and_running_out_is_remembered() {
        let budget = Budget::new(10);
        budget.spend(4);
        budget.spend(4);
        assert_eq!(budget.remaining(), 2);
        assert!(!budget.ran_out());
        assert_eq!(budget.exhausted().status(), 413);
        assert!(budget.ran_out());
    }
}
