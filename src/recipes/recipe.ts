// What a recipe file adds to a run config: where its settings come from and the numbers the paper
// published, so `distillery recipes` can list it and `distillery reproduce` can put measured
// numbers next to published ones. The training settings themselves are ordinary config keys.
import { z } from 'zod';

export const publishedSchema = z
  .object({
    /** What the numbers count: test errors (of `testExamples`) or test accuracy in %. */
    metric: z.enum(['test errors', 'test accuracy %']),
    /** Per stage: teacher, scratch, distilled. */
    values: z.record(z.string(), z.number()),
    /** Where the numbers are printed (paper, table or section). */
    source: z.string().min(1),
  })
  .strict();

export const recipeInfoSchema = z
  .object({
    name: z.string().min(1),
    title: z.string().min(1),
    /** The paper (and section) the settings follow. */
    source: z.string().min(1),
    /** Where the recipe departs from the paper, and why. */
    deviations: z.array(z.string()).optional(),
    published: publishedSchema.optional(),
    /** The target `distillery reproduce` checks, in words and as numbers. */
    goal: z
      .object({
        text: z.string(),
        /** Teacher errors (or accuracy) must be at most (least) this. */
        teacher: z.number().optional(),
        /** Fraction of the scratch–teacher gap the distilled student must close. */
        gapClosed: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
    /** Defaults of `distillery reproduce`. */
    reproduce: z
      .object({ seeds: z.array(z.number().int().min(0)).min(1) })
      .strict()
      .optional(),
  })
  .strict();

export type RecipeInfo = z.infer<typeof recipeInfoSchema>;
