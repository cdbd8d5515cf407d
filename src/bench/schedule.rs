//! The order of runs: warm-up rounds, then measured rounds, each round visiting every
//! scenario once (A B C A B C ...), so that drift of the machine hits all scenarios alike.

/// One slot of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub scenario: usize,
    /// Round number, counted separately for warm-up and measured rounds (from 0).
    pub round: usize,
    pub warmup: bool,
}

pub fn interleaved(scenarios: usize, warmup: usize, runs: usize) -> Vec<Slot> {
    let rounds = |count: usize, warmup: bool| {
        (0..count).flat_map(move |round| {
            (0..scenarios).map(move |scenario| Slot {
                scenario,
                round,
                warmup,
            })
        })
    };
    rounds(warmup, true).chain(rounds(runs, false)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmups_come_first_then_rounds_interleave() {
        let order: Vec<(usize, bool)> = interleaved(3, 1, 2)
            .iter()
            .map(|slot| (slot.scenario, slot.warmup))
            .collect();
        assert_eq!(
            order,
            [
                (0, true),
                (1, true),
                (2, true),
                (0, false),
                (1, false),
                (2, false),
                (0, false),
                (1, false),
                (2, false),
            ]
        );
    }

    #[test]
    fn each_scenario_gets_its_runs() {
        let slots = interleaved(2, 0, 5);
        for scenario in 0..2 {
            let measured = slots
                .iter()
                .filter(|s| s.scenario == scenario && !s.warmup)
                .count();
            assert_eq!(measured, 5);
        }
        assert!(interleaved(0, 3, 3).is_empty());
    }
}
