// mochawesome ships no type declarations; these cover the one function the suite uses.
declare module 'mochawesome/addContext.js' {
  /** Attaches a value to the current test (or, from a hook, the hook) in the mochawesome report. */
  export default function addContext(context: Mocha.Context, value: string | { title: string; value: unknown }): void;
}
