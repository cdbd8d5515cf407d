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

/// Shuffles the scenarios inside each round, keeping rounds in order: every round still
/// visits every scenario once, so drift still hits all alike.
pub fn shuffle_within_rounds(slots: &mut [Slot], scenarios: usize, rng: &mut fastrand::Rng) {
    if scenarios == 0 {
        return;
    }
    for round in slots.chunks_mut(scenarios) {
        rng.shuffle(round);
    }
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
    fn shuffling_keeps_each_round_whole() {
        let mut slots = interleaved(4, 1, 20);
        shuffle_within_rounds(&mut slots, 4, &mut fastrand::Rng::with_seed(7));
        let mut moved = false;
        for (index, round) in slots.chunks(4).enumerate() {
            let mut seen: Vec<usize> = round.iter().map(|s| s.scenario).collect();
            moved |= seen != [0, 1, 2, 3];
            seen.sort();
            assert_eq!(seen, [0, 1, 2, 3], "round {index}");
            assert!(round.iter().all(|s| s.warmup == (index == 0)));
        }
        assert!(moved, "21 rounds of 4 never shuffled");
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
