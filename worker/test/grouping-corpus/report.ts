/**
 * Prints v1's and the baseline's pairwise precision/recall on the grouping corpus:
 *   node --import tsx worker/test/grouping-corpus/report.ts
 */
import { evaluate, formatErrors, formatReport, loadCorpus } from "./corpus";

const samples = loadCorpus();
const report = evaluate(samples);
console.log(formatReport(report));
const errors = formatErrors(report.v1Errors, samples);
if (errors) console.log(`\nv1 grouping errors:\n${errors}`);
