// What GraphiQL, Apollo Sandbox, Altair and graphql-codegen do first, with the real graphql-js:
//   node introspect.mjs query <variant>      prints the introspection query of that variant
//   node introspect.mjs build <variant>      reads the JSON response on stdin, builds a client schema, prints a summary
// Variants: v16 (getIntrospectionQuery() as is), v16-all (every option on), v17-deep (graphql 17, typeDepth 9, all options).
import * as v16 from "graphql";
import * as v17 from "graphql17";
import { readFileSync } from "node:fs";

const all = { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true };
const variants = {
  "v16": [v16, {}],
  "v16-all": [v16, all],
  "v17-deep": [v17, { ...all, oneOf: true, typeDepth: 9 }],
};

const [command, name] = process.argv.slice(2);
const [graphql, options] = variants[name] ?? (() => { throw new Error(`unknown variant ${name}`); })();
if (command === "query") {
  process.stdout.write(graphql.getIntrospectionQuery(options));
} else if (command === "build") {
  const response = JSON.parse(readFileSync(0, "utf8"));
  const schema = graphql.buildClientSchema(response.data);
  const errors = graphql.validateSchema(schema);
  const query = schema.getQueryType();
  const fields = query.getFields();
  process.stdout.write(JSON.stringify({
    valid: errors.length === 0,
    errors: errors.map(e => e.message),
    queryType: query.name,
    mutationType: schema.getMutationType()?.name ?? null,
    queryFields: Object.keys(fields),
    counterDescription: fields.counter?.description ?? null,
    sdlLength: graphql.printSchema(schema).length,
  }));
} else {
  throw new Error(`unknown command ${command}`);
}
