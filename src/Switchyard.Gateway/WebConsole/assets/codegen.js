// "Copy as code": the request a playground column sent, as curl, Python, TypeScript or C#. The key is never put in
// the code: it reads SWITCHYARD_KEY from the environment.

export const LANGUAGES = ['curl', 'python', 'typescript', 'csharp'];

const json = v => JSON.stringify(v, null, 2);

/** The code for `body` (an OpenAI chat request) sent to the gateway at `origin`. */
export function code(language, origin, body) {
  const base = origin + '/v1';
  switch (language) {
    case 'curl':
      return `curl ${base}/chat/completions \\\n  -H "authorization: Bearer $SWITCHYARD_KEY" \\\n  -H 'content-type: application/json' \\\n  -d '${JSON.stringify(body).replaceAll("'", "'\\''")}'`;
    case 'python':
      return `import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url="${base}", api_key=os.environ["SWITCHYARD_KEY"])\n` +
        `stream = client.chat.completions.create(**${pythonLiteral(body)})\nfor chunk in stream:\n    if chunk.choices and chunk.choices[0].delta.content:\n        print(chunk.choices[0].delta.content, end="")\n`;
    case 'typescript':
      return `import OpenAI from "openai";\n\nconst client = new OpenAI({ baseURL: "${base}", apiKey: process.env.SWITCHYARD_KEY });\n` +
        `const stream = await client.chat.completions.create(${json(body)});\nfor await (const chunk of stream) {\n  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");\n}\n`;
    case 'csharp':
      return csharp(base, body);
    default:
      return '';
  }
}

function pythonLiteral(v) {
  return json(v).replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False').replace(/\bnull\b/g, 'None');
}

function csharp(base, body) {
  const lines = [];
  for (const m of body.messages) {
    const text = typeof m.content === 'string' ? m.content : m.content.filter(p => p.type === 'text').map(p => p.text).join('\n');
    const type = m.role === 'system' ? 'SystemChatMessage' : 'UserChatMessage';
    lines.push(`    new ${type}(${JSON.stringify(text)}),`);
  }
  const options = [];
  if (body.temperature !== undefined) options.push(`Temperature = ${body.temperature}f`);
  if (body.max_tokens !== undefined) options.push(`MaxOutputTokenCount = ${body.max_tokens}`);
  return `using System.ClientModel;\nusing OpenAI;\nusing OpenAI.Chat;\n\n` +
    `var client = new ChatClient(${JSON.stringify(body.model)}, new ApiKeyCredential(Environment.GetEnvironmentVariable("SWITCHYARD_KEY")!),\n` +
    `    new OpenAIClientOptions { Endpoint = new Uri(${JSON.stringify(base)}) });\n` +
    `ChatMessage[] messages =\n[\n${lines.join('\n')}\n];\n` +
    `var options = new ChatCompletionOptions { ${options.join(', ')} };\n` +
    `await foreach (var update in client.CompleteChatStreamingAsync(messages, options))\n{\n    foreach (var part in update.ContentUpdate) Console.Write(part.Text);\n}\n`;
}
