//! The seventeen moves the classifier can find in a line, and how each one maps onto the
//! guide: a practice belongs to one of the seven steps, a mistake is one of the pitfalls.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a move helps (the partner opens up) or hurts (the partner withdraws).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Mistake,
    Practice,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mistake => "mistake",
            Kind::Practice => "practice",
        }
    }
}

macro_rules! moves {
    ($( $variant:ident => $name:literal, $kind:ident, $label:literal; )*) => {
        /// A move: one thing a line does to the conversation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Move { $( $variant, )* }

        impl Move {
            /// Every move, mistakes first, in the order of DESIGN §2.
            pub const ALL: &'static [Move] = &[ $( Move::$variant, )* ];

            /// The exact snake_case name used in files, JSON and the command line.
            pub fn name(self) -> &'static str {
                match self { $( Move::$variant => $name, )* }
            }

            pub fn kind(self) -> Kind {
                match self { $( Move::$variant => Kind::$kind, )* }
            }

            /// A short human label, for the scorecard and `/why`.
            pub fn label(self) -> &'static str {
                match self { $( Move::$variant => $label, )* }
            }

            pub fn from_name(name: &str) -> Option<Move> {
                match name { $( $name => Some(Move::$variant), )* _ => None }
            }
        }
    };
}

moves! {
    Criticism => "criticism", Mistake, "criticism";
    Contempt => "contempt", Mistake, "contempt";
    Defensiveness => "defensiveness", Mistake, "defensiveness";
    Dismissing => "dismissing", Mistake, "dismissing their stress";
    KitchenSinking => "kitchen_sinking", Mistake, "kitchen-sinking";
    Pursuit => "pursuit", Mistake, "pursuit";
    AssumingIntent => "assuming_intent", Mistake, "assuming intent";
    IStatement => "i_statement", Practice, "I-statement";
    OpenQuestion => "open_question", Practice, "open question";
    ReflectiveListening => "reflective_listening", Practice, "reflective listening";
    Validation => "validation", Practice, "validation";
    ExternalStressor => "external_stressor", Practice, "exploring outside stress";
    SpecificNeed => "specific_need", Practice, "a specific need";
    ConcretePlan => "concrete_plan", Practice, "a concrete plan";
    Playfulness => "playfulness", Practice, "playfulness";
    FollowUp => "follow_up", Practice, "a follow-up";
    GivingSpace => "giving_space", Practice, "giving space";
}

impl Move {
    /// The guide step (1–7) this practice carries out, if any.
    pub fn step(self) -> Option<Step> {
        Step::ALL
            .iter()
            .copied()
            .find(|s| s.moves().contains(&self))
    }

    /// Where the guide speaks of this move: a step, or a common mistake.
    pub fn guide_ref(self) -> &'static str {
        match self {
            Move::Criticism => "Curiosity instead of criticism (expert 3); step 1 replaces blame",
            Move::Contempt => "Mistakes: contempt makes sharing unsafe (restored dialogue)",
            Move::Defensiveness => "Step 2: listen without defending",
            Move::Dismissing => "Mistakes: ignoring external factors",
            Move::KitchenSinking => "Mistakes: keep to the issue at hand, not past grievances",
            Move::Pursuit => "Mistakes: the pursuit/withdrawal cycle",
            Move::AssumingIntent => "Mistakes: assuming intent (expert 7: the stories we tell)",
            Move::IStatement => "Step 1: start with I-statements",
            Move::OpenQuestion => "Step 2: ask open-ended questions",
            Move::ReflectiveListening => "Step 2: reflect back what you heard",
            Move::Validation => "Step 2: your partner needs to feel heard",
            Move::ExternalStressor => "Step 3: explore external stressors",
            Move::SpecificNeed => "Step 4: identify unmet needs",
            Move::ConcretePlan => "Step 5: co-create concrete plans",
            Move::Playfulness => "Step 6: reintroduce play and lightness",
            Move::FollowUp => "Step 7: schedule a follow-up check-in",
            Move::GivingSpace => "Mistakes: give space while signalling availability",
        }
    }
}

impl fmt::Display for Move {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The guide's seven steps to rebuilding connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    IStatements = 1,
    Listen = 2,
    ExploreStressors = 3,
    UnmetNeeds = 4,
    Plan = 5,
    Play = 6,
    FollowUp = 7,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::IStatements,
        Step::Listen,
        Step::ExploreStressors,
        Step::UnmetNeeds,
        Step::Plan,
        Step::Play,
        Step::FollowUp,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::IStatements => "Open with an I-statement",
            Step::Listen => "Listen and reflect without defending",
            Step::ExploreStressors => "Explore outside stressors",
            Step::UnmetNeeds => "Name an unmet need",
            Step::Plan => "Co-create a concrete plan",
            Step::Play => "Bring back play and lightness",
            Step::FollowUp => "Schedule a follow-up",
        }
    }

    /// The moves that count as carrying out this step.
    pub fn moves(self) -> &'static [Move] {
        match self {
            Step::IStatements => &[Move::IStatement],
            Step::Listen => &[
                Move::ReflectiveListening,
                Move::Validation,
                Move::OpenQuestion,
            ],
            Step::ExploreStressors => &[Move::ExternalStressor],
            Step::UnmetNeeds => &[Move::SpecificNeed],
            Step::Plan => &[Move::ConcretePlan],
            Step::Play => &[Move::Playfulness],
            Step::FollowUp => &[Move::FollowUp],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_kinds_split_seven_ten() {
        assert_eq!(Move::ALL.len(), 17);
        for &m in Move::ALL {
            assert_eq!(Move::from_name(m.name()), Some(m));
        }
        let mistakes = Move::ALL
            .iter()
            .filter(|m| m.kind() == Kind::Mistake)
            .count();
        assert_eq!(mistakes, 7);
    }

    #[test]
    fn every_step_has_a_move_and_practices_map_to_steps() {
        for step in Step::ALL {
            assert!(!step.moves().is_empty());
        }
        assert_eq!(Move::ConcretePlan.step(), Some(Step::Plan));
        assert_eq!(Move::Criticism.step(), None);
        assert_eq!(Move::GivingSpace.step(), None);
    }
}
