// Generated passwords for accounts made in bulk: three short words and two digits, e.g. "bear-givre-sun-47".
import crypto from 'node:crypto';

/**
 * 256 short words (3 to 5 letters, mostly known to French or English-speaking children), lowercase a-z
 * without "l" or "o", so that nothing on a printed card can be read as the digits 1 or 0; the digits
 * are 2 to 9 for the same reason. Exactly 256, so each word is 8 bits.
 */
export const WORDS: readonly string[] = (
  'ami ant arbre bag bague bain bark barn bath beach bean bear bed bee bench berry big bike bird bras bread brun ' +
  'bug bump bunny bus cake cap car carte cat cave chair chat chick chien city crab crib cube cup cute dance dark ' +
  'date deep deer dent desk dig dish drum duck dust easy egg fairy fan farm fast fig fire fish frame free frite ' +
  'fruit funny game gant gare giant gift givre grape grass gray green gris gym hand happy harp hat heart hen hide ' +
  'hike hiver hug hut ink jam jar jaune jet jeudi juice juin jump jus key kick king kit kite kiwi mai main map ' +
  'march mardi mark mars mask mat mer mint mud mug mur music name nap neige nest net nid nine nuage nuit nut pad ' +
  'pain panda parc park party patte paw pays pea peach pear pen pet petit pie pied pig pin pink piste pizza pump ' +
  'puppy race radis rain rake ramp ready red reine rest rice ride ring rise rive river riz rub ruby ruche rue rug ' +
  'run sac safe same sand sapin scarf sea seed seven shake shark sheep ship sing singe sink six ski skip sky ' +
  'smart snack snake snap spade spin spray stamp stand star sucre sugar sun sunny super swan sweet swim tag tank ' +
  'tap tarte tasse taxi tea tent tente terre thin tiger tiny train tree tuba twin usine vache vague van vase vent ' +
  'vert vet vive wand warm wash wave wax web wind windy wing wish yard yes zinc zip'
).split(' ');

const DIGITS = '23456789';

/**
 * A password a ten-year-old can type on a phone: three words from WORDS and two digits, joined by "-"
 * (one switch to the symbols keyboard, which has both), 14 to 20 characters.
 *
 * Entropy: 3 × log2(256) + 2 × log2(8) = 24 + 6 = 30 bits (about 10^9 passwords), each part drawn
 * with crypto.randomInt. That is weak offline, where bcrypt (cost 10) is what protects a stolen
 * database, but enough online: the login throttle (services/throttle.ts) allows 5 failures per
 * address and name, then waits 30 s doubling to 15 min, and 20 per address for all names; that is
 * about 100 guesses a day per address. Even a pupil rotating through every address of the /24
 * (~250 × 100 = 25,000 guesses a day, each logged as login_failed), against a class of 30 accounts,
 * needs 2^29 / 30 ≈ 18 million guesses on average to hit one: about two years. And bcrypt's ~0.45 s
 * per check on the Pi caps any attempt at ~170,000 guesses a day with the CPU flat out. Four words
 * would add 8 bits but take most children past 20 characters on a phone keyboard.
 */
export function kidPassword(): string {
  const w = () => WORDS[crypto.randomInt(WORDS.length)]!;
  const d = () => DIGITS[crypto.randomInt(DIGITS.length)]!;
  return `${w()}-${w()}-${w()}-${d()}${d()}`;
}

/** Bits of entropy of kidPassword(), for the tests and the README. */
export const KID_PASSWORD_BITS = 3 * Math.log2(256) + 2 * Math.log2(DIGITS.length);
