// Reference: what a user would write instead, following the Express and Mongoose guides: express.json and
// express.urlencoded, a Mongoose model, Model.create and findById().lean(); no logging, no extra headers.
import { express, itemRoutes, serve } from './express-items.js'

const app = express()
app.use(express.json())
app.use(express.urlencoded())
itemRoutes(app)
await serve(app)
