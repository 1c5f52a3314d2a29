// The recipe files under recipes/: list them with their sources, and resolve a recipe given by
// name ('hinton-mnist') or path to its config layer. A recipe is an ordinary config file with a
// `recipe` section; anything that takes --config takes one.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfigFile, type DeepPartial, type RunConfig } from '../config.ts';
import { usageError } from '../errors.ts';
import { recipeInfoSchema, type RecipeInfo } from './recipe.ts';

/** The recipes/ folder that ships with Distillery. */
export const recipesDir = fileURLToPath(new URL('../../recipes/', import.meta.url));

export interface RecipeEntry {
  name: string;
  path: string;
  info: RecipeInfo;
}

/** Every recipes/*.json with its `recipe` section, sorted by name. */
export function listRecipes(dir = recipesDir): RecipeEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      return { name: basename(f, '.json'), path, info: recipeInfo(path, readConfigFile(path)) };
    });
}

function recipeInfo(path: string, layer: DeepPartial<RunConfig>): RecipeInfo {
  const parsed = recipeInfoSchema.safeParse(layer.recipe);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usageError(
      `${path} is not a recipe: recipe.${issue.path.join('.')}: ${issue.message} (a recipe file needs a 'recipe' section with name, title and source)`,
    );
  }
  return parsed.data;
}

/** A recipe by name (a file in recipes/) or by path; its config layer and recipe section. */
export function loadRecipe(
  nameOrPath: string,
  dir = recipesDir,
): RecipeEntry & { layer: DeepPartial<RunConfig> } {
  const path = existsSync(nameOrPath) ? nameOrPath : join(dir, `${nameOrPath}.json`);
  if (!existsSync(path)) {
    const known = listRecipes(dir).map((r) => r.name);
    throw usageError(
      `no recipe '${nameOrPath}' (known: ${known.join(', ') || 'none'}; or give a path to a recipe file)`,
    );
  }
  const layer = readConfigFile(path);
  return { name: basename(path, '.json'), path, info: recipeInfo(path, layer), layer };
}
