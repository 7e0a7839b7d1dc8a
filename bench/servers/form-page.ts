// The entry form the reference servers answer GET / with: a page of the same size as the service's, kept in
// memory, so the `index` scenario compares serving a small page and not reading a file that may move.
export const FORM_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Add an item</title><link rel="stylesheet" href="/styles.css"></head>
<body>
<main>
<h1>Add an item</h1>
<form method="post" action="/items/new/form/">
${['name', 'price', 'description', 'tax'].map((field) => `<p><label for="${field}">${field}</label> <input id="${field}" name="${field}" type="text"></p>`).join('\n')}
<p><button type="submit">Add</button></p>
</form>
</main>
</body>
</html>
`.padEnd(2_400, '\n')
