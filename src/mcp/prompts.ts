/**
 * Prompts that encode the flows people ask agents for most: price-checked generation, reproducing a curated
 * example, and comparing prices across a category. Plain data, built once.
 */
export interface PromptDefinition {
  name: string;
  title: string;
  description: string;
  arguments: Array<{ name: string; description: string; required: boolean }>;
  render: (args: Record<string, string>) => string;
}

export const PROMPTS: PromptDefinition[] = [
  {
    name: 'generate_after_price_check',
    title: 'Generate with a model after checking its price',
    description: "Check a model's price and parameters, confirm the cost, then run it at a given size.",
    arguments: [
      { name: 'model', description: 'Model AIR, e.g. runware:101@1', required: true },
      { name: 'prompt', description: 'What to generate', required: true },
      { name: 'size', description: 'Size such as 1024x1024 (optional)', required: false },
    ],
    render: (a) =>
      [
        `I want to generate "${a.prompt}" with the Runware model ${a.model}${a.size ? ` at ${a.size}` : ''}.`,
        `1. Call model_pricing {"air": "${a.model}"} and model_schema {"model": "${a.model}"}.`,
        '2. Tell me the expected cost for this request and the parameters you will use (respect the schema ranges).',
        '3. Then call run with those parameters and a maxCost equal to the expected cost plus 20%.',
        '4. Show me the output URLs and the actual cost. If run answers "processing", call get_task_details with its taskUUID.',
      ].join('\n'),
  },
  {
    name: 'mimic_example',
    title: 'Reproduce a curated example of a model',
    description: "Fetch a model's curated examples and run example N (optionally with a new subject).",
    arguments: [
      { name: 'model', description: 'Model AIR', required: true },
      { name: 'example', description: 'Example number, starting at 1', required: true },
      {
        name: 'subject',
        description: 'A new subject to swap into the example prompt (optional)',
        required: false,
      },
    ],
    render: (a) =>
      [
        `Call model_examples {"air": "${a.model}"} and take example number ${a.example}.`,
        a.subject
          ? `Keep its parameters but change the subject of its prompt to: ${a.subject}.`
          : 'Keep its prompt and parameters as they are.',
        'Check the price with model_pricing, then call run with the example request (model plus its parameters) and show me the result with its cost.',
      ].join('\n'),
  },
  {
    name: 'compare_video_prices',
    title: 'Compare video model prices for a clip',
    description: 'Compare what every video model would charge for a clip of a given length and resolution.',
    arguments: [
      { name: 'seconds', description: 'Clip length in seconds, e.g. 8', required: true },
      { name: 'resolution', description: 'e.g. 1080p', required: true },
    ],
    render: (a) =>
      [
        `I need a ${a.seconds}-second ${a.resolution} video clip.`,
        '1. Call list_models {"category": "video", "limit": 100} (follow nextCursor until done).',
        '2. For each model, call model_pricing and model_schema; skip models whose schema cannot do that duration or resolution.',
        `3. Give me a table sorted by price for ${a.seconds} s at ${a.resolution}: model, AIR, price, native audio (yes/no), notes.`,
        'Do not run anything: this is a price comparison only.',
      ].join('\n'),
  },
];
