"""Deterministic generator for ``data/tickets.csv``, the labelled ticket set.

Each category has a hand-written list of distinct *issues* (one per line;
several already contain their own alternative wording). A ticket is one issue
rendered in one of several reporting styles (bare one-liner, formal e-mail,
casual chat, subject-line form, long multi-sentence report, urgent shout) with
a campus location, optional follow-up details, and occasional typos.

The committed CSV holds out a seeded 20% of each category's tickets
(``--split-by ticket``). ``--split-by issue`` instead holds out whole issues
(every rendering of them), a harder measure of generalisation to problems
never seen in training; see ``build``.

Usage:  python maintenance/training/make_dataset.py [--out PATH]
The output is byte-for-byte reproducible (fixed seed, no set iteration).
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from pathlib import Path

SEED = 20240917
VARIANTS_PER_ISSUE = 3
TEST_FRACTION = 0.2
DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "tickets.csv"

# --------------------------------------------------------------------------
# Locations. Placeholders in issues: {room} {restroom} {kitchen} {lab} {hall}
# {dorm} {bldg} {outdoor} {floor}. Shared by every category on purpose, so the
# model has to learn the problem, not the place.
# --------------------------------------------------------------------------
LOCATIONS = {
    "room": [
        "room 214", "my dorm room, Hawthorne 3B", "office 412 in Baker Hall", "Lecture Hall B",
        "seminar room 1.12", "the main reading room of the library", "the cafeteria seating area",
        "the weight room at the gym", "study room 3 on the library 2nd floor", "Maple Hall 507",
        "the faculty lounge in Whitman", "classroom ENG-105", "the music practice room 12",
        "the admissions office front desk", "Kessler Hall room 118", "the writing center",
        "the 4th floor conference room in the admin building", "my suite in Oak Hall (210)",
        "the grad student office, Physics 3rd floor", "the art studio in Fenwick", "the chapel basement",
        "the TA office hours room (Math 221)", "the yoga studio at the rec center", "room 0.08 in the basement",
    ],
    "restroom": [
        "the 2nd floor women's restroom in the library", "the men's bathroom by the gym entrance",
        "the bathroom in my suite (Oak Hall 210)", "the gender-neutral restroom in the Student Union",
        "the 3rd floor bathroom in Maple Hall", "the staff restroom in the admin building",
        "the locker room showers at the rec center", "the restroom next to Lecture Hall A",
        "the ground floor restroom in Baker Hall", "the accessible restroom in the science building",
    ],
    "kitchen": [
        "the cafeteria kitchen", "the 4th floor kitchenette in Maple Hall", "the staff break room in Whitman",
        "the dining hall dish room", "the Hawthorne community kitchen", "the coffee bar in the library",
        "the grad lounge kitchenette", "the catering prep kitchen in the Student Union",
    ],
    "lab": [
        "the organic chem lab (Science 204)", "Bio lab 3.17", "the physics teaching lab",
        "computer lab 110", "the robotics lab in Engineering", "the microbiology lab",
        "the language lab in Fenwick", "the geology prep room",
    ],
    "hall": [
        "Lecture Hall B", "Lecture Hall A", "the Ross Auditorium", "Science 100", "the big lecture room in Kessler",
        "lecture theatre 2", "Baker 101", "the Student Union ballroom",
    ],
    "dorm": [
        "Hawthorne Hall", "Maple Hall", "Oak Hall", "the Birch apartments", "Cedar House", "Willow Court",
        "the freshman dorm (Pine Hall)", "West Tower",
    ],
    "bldg": [
        "Baker Hall", "the library", "the science building", "the Student Union", "Kessler Hall",
        "the admin building", "the rec center", "Fenwick Hall", "the engineering building", "Whitman Hall",
    ],
    "outdoor": [
        "parking lot C", "the path between the library and the Union", "the quad", "the bus stop on College Ave",
        "the back entrance of the science building", "the bike racks outside Kessler", "the loading dock",
        "the footbridge by the stadium", "the courtyard behind Maple Hall",
    ],
    "floor": ["2nd floor", "3rd floor", "fourth floor", "ground floor", "basement level", "top floor", "first floor"],
}

# --------------------------------------------------------------------------
# Issues per category, one per line. Written to read like what people type.
# --------------------------------------------------------------------------
ISSUES = {
    "Plumbing": """
The toilet in {restroom} keeps running nonstop, you can hear it from the hallway.
Toilet overflowing in {restroom}, water all over the floor.
The sink in {kitchen} is clogged and drains super slowly.
There is a steady drip from the pipe under the sink in {kitchen}, the cabinet underneath is soaked.
Water is dripping from the ceiling in {room}. I think a pipe above is leaking.
No hot water in the showers at {dorm} since yesterday morning.
Shower drain in {restroom} backs up every time someone showers, standing water for an hour after.
Water fountain near {hall} barely trickles, you can't even fill a bottle.
Urinal won't flush in {restroom}.
The faucet handle came off in {restroom} and the tap won't turn off all the way.
Burst pipe in the basement of {bldg}, water spraying everywhere.
There's a sewage smell coming up from the floor drain in {room}.
Toilet is clogged in {restroom}. Plunger didn't help.
The shower head in {restroom} leaks constantly even when it's off.
The eyewash station in {lab} has almost no water pressure.
Brown, rusty looking water coming out of the taps in {dorm}.
The bottle filling station outside {hall} isn't dispensing any water.
Water is pooling around the base of the toilet in {restroom}.
Low water pressure in all the showers on the {floor} of {dorm}.
The outdoor spigot by {outdoor} is stuck open and running.
The sink in {lab} won't drain at all.
Garbage disposal in {kitchen} is jammed and the sink is full of water.
Drinking fountain by the gym entrance tastes metallic and the water is cloudy.
Grease trap in the cafeteria kitchen is backing up into the floor sinks.
Showers in {restroom} only run ice cold, no matter how long you wait.
The flush valve on the toilet in {restroom} is stuck and it flushes forever.
Water coming UP through the floor drain in {room}.
The washing machine hookup in the {dorm} laundry room is leaking, there's a puddle under the machines.
Sink faucet in {restroom} sprays sideways and gets everyone wet.
Hot water tap at the coffee station in {kitchen} won't shut off.
Bathtub in the {dorm} apartment won't drain, standing water.
When the toilet flushes, water backs up into the sink next to it.
All the drains in {restroom} are gurgling and slow.
Toilet tank cracked and leaking in {restroom}.
Leaky pipe in the mechanical closet on the {floor} of {bldg}, bucket is almost full.
Water heater in {dorm} is making banging noises and the water is only lukewarm.
The ice machine in {kitchen} is leaking water all over the floor.
The mop sink faucet in the janitor closet of {bldg} is broken off.
Sprinkler pipe in {room} is dripping onto the desks.
Toilet in {restroom} rocks back and forth and leaks at the base when flushed.
Hand sink in {kitchen} has no water at all.
Lab faucet in {lab} drips constantly, it's wasting a ton of water.
The pipes in {bldg} make a loud hammering noise whenever someone turns off a tap.
There's a wet patch spreading on the wall behind the toilets in {restroom}.
Shower valve in {restroom} is loose and the temperature jumps between scalding and cold.
Clogged kitchen sink in {kitchen}, smells bad and has food in it.
The emergency shower in {lab} drips and there's a puddle under it.
The toilet in {restroom} flushes weakly, it takes two or three flushes every time.
Hot water takes ten minutes to come out of the tap in {restroom}.
The sink in {restroom} is pulling away from the wall and the pipe underneath is wet.
Drain in the gym shower room smells like sewage and is really slow.
Water is leaking through the ceiling of {room} from the bathroom upstairs.
The water line under the coffee machine in {kitchen} is leaking onto the floor.
Frozen pipe in {dorm}, nothing comes out of the kitchen tap.
The urinal in {restroom} overflows every time it's flushed.
Auto-flush sensor on the toilet in {restroom} flushes over and over.
The sensor faucet in {restroom} won't turn on no matter what.
The shutoff valve under the sink in {room} is leaking.
Sewer backup in the basement of {bldg}, dirty water is coming out of the floor drain.
The tub faucet in {dorm} drips hot water all night long.
Water is seeping through the wall from the showers next door in {dorm}.
Toilet handle is broken in {restroom}, you have to reach into the tank to flush it.
The foot wash by the pool entrance doesn't shut off.
The pool showers at the rec center have almost no water pressure.
Kitchen faucet in {dorm} leaks from the base whenever it's on.
Floor drain in the cafeteria kitchen is clogged and water ponds under the dish machine.
The water supply line to the fridge in {kitchen} burst and is spraying.
Toilet in {restroom} won't refill after flushing.
Sink in {room} has a constant drip and a rusty stain in the bowl.
The drinking fountain on the {floor} of {bldg} won't stop running.
Shower in {dorm} won't turn off completely, it keeps trickling.
The pipes under the sink in {lab} are corroded and dripping.
The toilet in {restroom} is blocked and the water level is right at the rim.
Dripping tap in {kitchen} is keeping me up at night, drip drip drip.
The cold water in {dorm} comes out warm and smells weird.
Leak under the bathroom floor in {dorm}, the tiles are lifting and wet.
The showers on the {floor} of {dorm} drain into each other and flood the stalls.
There's a slow leak from the hot water tank in the laundry room of {dorm}.
Need a plumber for {restroom}, two of the three toilets are out of order.
The lab sink in {lab} is backing up with cloudy water.
The pipe joint above the ceiling tiles in {room} is leaking, the tiles are stained brown.
Whenever someone showers upstairs, water drips into {room}.
""",
    "Electrical": """
Lights flickering in {room}, it's giving people headaches.
Half the ceiling lights are out in {hall}.
The outlet next to the window in {room} doesn't work.
Breaker keeps tripping whenever the microwave and kettle run together in {kitchen}.
Power went out in {room} but the rest of the floor seems fine.
Exposed wires hanging out of the ceiling in the hallway of {bldg}.
Outlet sparked when I plugged in my laptop charger in {room}.
Burnt smell coming from the wall outlet behind my desk in {room}.
Light switch in {room} is hot to the touch.
Emergency exit sign near the stairwell in {bldg} isn't lit.
Stairwell lights are out in {dorm}, it's pitch black at night.
Light bulb burned out in {restroom}.
Cover plate missing on an outlet in {room}, you can see the wires.
Lamp posts along {outdoor} aren't coming on at night.
Motion sensor lights in {room} keep shutting off while we're still in there.
One of the fluorescent tubes in {lab} is buzzing really loudly and flickers.
GFCI outlet in {restroom} keeps tripping.
No power to the lab benches on the east side of {lab}.
Power strip melted a bit at the plug in {room}, we unplugged it.
The hand dryer in {restroom} is completely dead.
The electrical panel on the {floor} of {bldg} is humming loudly.
Dimmer switch for the lights in {hall} doesn't dim anymore, lights are either full on or off.
Lights in {room} won't turn off at all, even with the switch off.
EV charging stations in {outdoor} are showing no power.
Whole building lost power, {bldg} is dark.
Could you install an extra outlet near the reception desk in {room}? We only have one.
The floor outlet box in {hall} is loose and the receptacle is pulled out.
Lights in the parking garage are really dim and several are out.
USB charging outlets in the study rooms of {bldg} don't charge anything.
Sparks coming from the light fixture in {room} when the switch is flipped.
Got a small shock touching the metal lamp in {room}.
Power keeps flickering on and off in {dorm}, computers keep rebooting.
Light fixture in {room} is hanging loose from the ceiling by its wires.
The wall sockets in {kitchen} make a crackling sound when something is plugged in.
The outlet for the lab fridge in {lab} lost power, samples are warming up.
Outside light over the back entrance of {dorm} has been out for a week.
Track lighting in the gallery of {bldg} stopped working.
Half the outlets in {room} died after a storm last night.
Lights in the {floor} corridor of {bldg} blink on and off constantly.
The exterior flood light at {outdoor} stays on all day.
The light switch in {room} is cracked and wobbly, you can see inside.
Stage lights in the Ross Auditorium won't power on, the breaker might be off.
Extension cord running across the floor in {room} is frayed, the copper is showing.
The bathroom fan/light combo in {restroom} is dead, no light at all.
The power outlet at my desk in {room} only works if you wiggle the plug.
The lights in the gym keep humming and some bulbs are flickering.
We smell hot plastic near the breaker box in {bldg}.
Outlets in {room} are dead, my fridge and lamp have no power.
Breaker for the {floor} of {dorm} tripped and half the rooms have no power.
The light switch in {room} does nothing at all.
Lights in {restroom} are out, it's completely dark in there.
Can someone replace the burnt out bulbs in the stairwell of {bldg}?
The outlet in {room} is scorched and black around the holes.
The wall plug in {room} is so loose the plugs fall right out.
Emergency lighting didn't come on during the outage in {bldg}.
Power in {lab} cuts out whenever the centrifuge starts.
We need a dedicated circuit for the new 3D printer in {lab}.
Light fixture in {room} makes a popping sound and then goes off.
All the LED panels in {room} flicker slightly, people are getting dizzy.
Junction box cover is missing in the hallway of {dorm}, wires are showing.
Lights in the elevator lobby of {bldg} are out.
The outdoor outlet at {outdoor} is hanging off the wall.
The gym ceiling lights take twenty minutes to come on.
The timer for the exterior lights at {bldg} is wrong, they come on at noon.
The switch plate in {room} sparks when you flip it.
Lights dim every time the big equipment in {lab} switches on.
Power is out in the kitchen of {dorm}, stove and fridge both dead.
Desk lamp outlets in the library carrels don't work.
A loud pop came from the outlet and now nothing in {room} has power.
The breaker panel in {dorm} isn't labeled and we can't tell which breaker is which.
Security lights on the side of {bldg} are out.
Recessed ceiling light in {room} is out and the trim is hanging down.
The outlets on one wall of {room} stopped working, nothing charges.
Need an electrician, the lights in {hall} buzz and go dark for a few seconds.
The emergency light battery pack in the stairwell of {bldg} is beeping.
Our overhead lights keep tripping the breaker in {room}.
The power outlet by the sink in {kitchen} has no power and the reset button won't stay in.
There's a strange electrical hum from inside the wall in {room}.
Lighting in the parking lot at {outdoor} is out, it's totally dark.
The light in the closet of my dorm room doesn't turn on even with a new bulb.
Some of the track lights in the library lobby are out.
The dimmer in {room} gets hot and the lights flicker when it's turned down.
""",
    "HVAC": """
It's freezing in {room}, the heat doesn't seem to be on at all.
AC is not working in {room}, it's like 85 degrees in here.
Thermostat in {room} is stuck at 60 and won't change.
Radiator bangs and clanks all night in {dorm}.
Vent in {room} blowing hot air even though it's set to cool.
Fume hood airflow monitor in {lab} keeps showing low flow.
There's no air circulation in {room}, it's super stuffy.
Water dripping from the AC unit in {room} onto the carpet.
Loud rattling noise from the ceiling vent in {room}.
Musty smell coming from the air vents in {room}.
Heater in {room} gives off a burning dust smell when it kicks on.
The window AC unit in {room} runs but doesn't cool.
The room is way too hot and the radiator can't be turned down in {dorm}.
The server closet in {bldg} is getting really hot, the cooling seems off.
Heat is blasting in {room}, people are opening windows in January.
Boiler for {dorm} seems to be out, all radiators are cold.
Cold air blowing from the vents in {hall} all day.
Humidity in the music practice rooms is way too high, the pianos are going out of tune.
The exhaust fan in {restroom} isn't working and the mirror fogs up.
The kitchen hood in {kitchen} isn't pulling smoke out when we cook.
Thermostat display in {room} is blank.
The heat pump outside {dorm} makes a grinding noise.
Dust blowing out of the vents in {room}, filters probably need replacing.
{hall} is so cold that students are wearing coats during lectures.
The air handler above {room} is extremely loud.
The mini-split in {room} is blinking an error code and not heating.
Ventilation in the gym is terrible, it's humid and gross during practice.
One side of {hall} is boiling and the other side is freezing.
Heating in {dorm} turns on and off every few minutes.
The radiator valve in {room} hisses steam constantly.
No AC in the {floor} of {bldg}, the whole floor is sweltering.
Air conditioning in {lab} shuts off at night and the equipment overheats.
The vent in {room} whistles really loudly whenever the heat comes on.
The thermostat in {room} reads 78 but it feels like 60.
Heater in the bathroom of {dorm} doesn't work, freezing after showers.
The air in {room} smells stale and we get headaches after an hour.
Cooling tower or something on the roof of {bldg} is making a loud vibration.
AC in {room} is set to 72 and it's blowing warm.
The radiator cover in {room} is scorching hot, can't be adjusted.
Air vents in {room} are frosting over.
Baseboard heater in {room} doesn't turn on.
Fan coil unit under the window in {room} makes a clicking noise and blows no air.
{hall} feels like a sauna, the ventilation must be off.
The humidifier in the archive room of the library isn't running, the paper is drying out.
The heat in {room} comes on in the middle of summer.
Our office temperature swings from 64 to 80 in one day.
The heating in {room} is not working.
My dorm room is an oven, the heat won't shut off.
Air conditioning in {hall} is leaking and blowing warm air.
Vents on the {floor} of {bldg} are blowing a weird chemical smell.
The thermostat in {room} is locked and we can't adjust it.
Can the AC in {bldg} be turned on earlier this year? It's already hot.
Heating is off in all of {dorm}.
The fan inside the AC unit in {room} squeals.
The radiator in {room} stays cold even though the heat is on.
Air quality is bad in {room}, the CO2 monitor reads over 1500 ppm.
Some parts of the library are freezing and the 3rd floor is way too warm.
Condensation dripping from the ductwork in {room}.
The ducts above {hall} rattle every time the system starts.
The dehumidifier in the basement of {bldg} stopped running.
{room} smells like exhaust fumes coming from the vents.
The vent damper in {room} seems stuck closed, zero airflow.
It's too cold in the gym studio for morning yoga classes.
Every Monday morning {hall} is freezing, can the heating schedule be changed?
The thermostat in {room} resets to 68 every night.
Heat isn't reaching the back offices in {bldg}.
The AC in {room} ices up and then stops cooling.
Ceiling diffuser in {room} blows air straight down on my desk and it's freezing.
There's a draft coming out of the vent in {dorm} even with the heat off.
The heater in {room} clicks on and off but never gets warm.
Rooftop unit on {bldg} is making a squealing belt noise.
Heat is not coming on in {dorm}, I can see my breath in my room.
The AC in the computer lab is dripping and the room is getting warm.
Our office air conditioning is too strong, we're freezing all day in {bldg}.
The vent cover in {room} fell and the duct is blowing cold air on people.
The heating system in {bldg} is making a loud whooshing sound through all the vents.
Can you check the ventilation in {lab}? The air feels stale and chemical.
The thermostat in {hall} doesn't respond when you press the buttons.
It's 90 degrees in the dance studio and there's no airflow.
The radiator in {dorm} is leaking a little and hissing.
No heat in {restroom}, it's ice cold in there.
""",
    "Carpentry": """
Door to {room} sticks badly and you have to shove it with your shoulder.
Desk drawer in {room} is broken and won't slide in.
Several folding seats in {hall} are broken and won't flip up.
Bookshelf in {room} is wobbly and pulling away from the wall.
Closet door in {dorm} came off its track.
Cabinet door hinge is broken in {kitchen}, the door is hanging off.
Window frame in {room} is rotting and the window won't open.
Handrail on the stairs in {bldg} is loose, it moves when you lean on it.
Loose floorboard in {room}, someone is going to trip on it.
Bed frame in my dorm room is broken, one of the slats snapped.
The table leg in study room 4 is cracked and the table wobbles.
A ceiling tile fell down in {room}, the grid looks bent.
Baseboard is coming off the wall in {room}.
Door closer on {room} is broken, the door slams every time.
Can we get some shelves put up in {room}?
Whiteboard in {room} is coming off the wall, one bracket is loose.
The wooden bench outside {bldg} has a broken slat and splinters.
Door frame in {room} is split where the latch goes.
There's a fist-sized hole in the drywall in the hallway of {dorm}.
The countertop laminate in {kitchen} is peeling up at the edge.
A stair tread on the back stairs of {bldg} is loose and creaks.
The ladder on my bunk bed is cracked.
Wardrobe door in {dorm} fell off.
A board in the gym bleachers is cracked.
Stage floor in the theater has a loose panel.
The wooden lectern in {hall} is wobbly and one leg is loose.
The window blinds in {room} are broken, the slats are bent and won't raise.
Coat hooks in {room} pulled out of the wall.
The doorstop is missing and the door handle made a hole in the wall in {room}.
The door handle on {room} is loose and spins.
Locker door at the gym is bent and won't close.
Bathroom stall door in {restroom} won't close properly, the latch doesn't line up.
Kitchen drawer in {kitchen} is off its runners.
The wooden chair in {room} has a cracked seat, someone might fall through.
Window sill in {room} is cracked and water gets in.
Could we get a bulletin board mounted outside {room}?
The trim around the door in {room} is hanging loose.
The picnic table at {outdoor} is falling apart.
Sliding door on the wardrobe keeps jumping off the rail.
The library carrel desk in {room} has a broken hinge on the lid.
Need a new cabinet door for the supply closet in {bldg}, the old one is split.
The wooden ramp at {outdoor} has a rotten plank.
The bathroom door in {dorm} swells and won't close when it's humid.
The top of my desk in {room} is separating from the frame.
The shelf in the walk-in pantry of {kitchen} collapsed.
A chair rail and part of the wall paneling came off in {room}.
The doors on the kitchen cabinets in {kitchen} don't close flush anymore.
The front door of {dorm} drags on the floor.
Desk chair in {room} collapsed, the seat came off the base.
Can someone fix the wobbly table in {room}?
Shelf brackets pulled out of the wall in {room} and everything fell.
Kitchen cabinet door in {dorm} fell off when I opened it.
The window in {room} won't close all the way, the wood is swollen.
The wooden fence around {outdoor} has a broken section.
The deck boards on the terrace of {bldg} are rotting and soft.
Could someone assemble a new desk for the new hire in {room}?
The mirror in {restroom} is loose and tilting off the wall.
A drawer pull came off my dresser in {dorm}.
The attic hatch in {room} is hanging open.
Bookcases in the library stacks are leaning.
The door in {room} doesn't latch and swings open on its own.
Crack in the wooden floor of the dance studio, dancers are catching their toes.
The toilet paper holder got ripped out of the wall in {restroom}.
Towel bar fell off the wall in {dorm}.
The closet rod in my dorm room snapped.
Broken slats on the bench in the locker room.
Cupboard under the sink in {kitchen} has a swollen, broken bottom.
Door in {room} has a big gap at the bottom and the frame is crooked.
The loft bed in {dorm} is wobbly and needs tightening.
The lab bench drawers in {lab} are stuck shut.
Corkboard in the hallway of {bldg} fell down.
Need the broken window frame in {room} rebuilt, there's just cardboard in it now.
The cabinet in {lab} won't close, the door is warped.
The door to my dorm room scrapes the floor and leaves marks.
Broken chair leg in {hall}, the seat in row F is unusable.
Can someone patch the gouge in the wall of {room} left by the movers?
The wooden step at the entrance of {bldg} is split.
Our conference table in {room} has a leg that keeps falling off.
The kitchen drawer in {dorm} is missing its front panel.
The shelving unit in the storage room of {bldg} is bowing and might collapse.
The window latch in {room} is broken so the window won't stay shut.
Please hang the new whiteboard and two framed posters in {room}.
""",
    "Cleaning": """
Trash is overflowing in {room}.
Someone threw up in the hallway of {dorm}.
Spilled coffee all over the carpet in {room}.
{restroom} is out of toilet paper and soap.
The floor in the cafeteria is really sticky.
Graffiti on the stall walls in {restroom}.
Recycling bins in {bldg} haven't been emptied for a week.
Smells like rotting garbage in the stairwell of {dorm}.
Broken glass on the floor in {room}, needs to be swept up.
Mud tracked all over the lobby of {bldg}.
The glass doors and windows in the lobby of {bldg} are filthy.
Carpets in {room} haven't been vacuumed in ages.
Black mold on the shower grout in {restroom}.
Paper towel dispenser in {restroom} is empty.
Hand sanitizer stations in {bldg} are all empty.
The mats in the gym really need disinfecting.
Spilled juice and cereal all over the floor of {kitchen}.
Bird droppings all over the benches at {outdoor}.
The lounge fridge in {dorm} is full of old food and smells awful.
Big stain on the couch in the lounge of {dorm}.
The tables in {room} are sticky and covered in crumbs.
Need a cleanup crew after the event in the Student Union ballroom tonight.
Locker room floors are slippery with soap scum.
The whiteboards in {room} are so dirty you can't read anything.
Cobwebs everywhere in the corners of {room}.
Gum stuck under all the desks in {hall}.
Sanitary bins in {restroom} are full.
Dumpster area behind the cafeteria is overflowing, bags on the ground.
Entrance of {bldg} is wet and muddy from the rain, someone could slip, please mop.
The shared kitchen in {dorm} is disgusting, dishes piled up and food on the stove.
Elevator floor in {bldg} is dirty and there's a spilled drink.
Someone left pizza boxes and cans all over {room} after a study session.
The toilets in {restroom} are dirty and haven't been cleaned today.
Dust all over the shelves and desks in {room}.
Urine on the floor in {restroom}, smells terrible.
The microwave in {kitchen} is caked with food.
Muddy footprints all over the new carpet in {room}.
There's a sticky soda spill on the stairs in {bldg}.
The recycling room in {dorm} is overflowing with cardboard.
Windows in {room} are so dirty it's dark in here.
Please clean the bleachers in the gym, there's trash from the game everywhere.
Paint spilled in the hallway outside the art studio.
Somebody's dog had an accident in the lobby of {bldg}.
The shower stalls in {restroom} have hair clogging the corners and grime on the walls.
Trash cans in {hall} haven't been emptied since the weekend.
Food waste all over the tables in the cafeteria after lunch rush.
Please deep clean {room} before the visiting committee comes on Friday.
Can someone empty the trash in {room}? It's full.
Big puddle of spilled milk in the cafeteria line.
The restroom in {bldg} needs cleaning, it smells really bad.
Someone smeared food on the walls of the elevator in {dorm}.
Vomit in the stairwell of {bldg} from last night.
Leaves and trash blew into the entrance of {bldg}.
The carpet in {room} has a weird smell since the spill last week.
Crumbs and wrappers all over the library study tables.
Sinks in {restroom} are covered in toothpaste and hair.
There's a blood stain on the locker room floor that needs proper cleaning.
Fingerprints and smudges all over the glass display cases in {bldg}.
Trash bags were left outside the rooms in {dorm} and they're leaking.
Confetti and glitter all over {hall} after the event.
Cigarette butts and ash all over {outdoor}.
Bathroom mirrors in {restroom} are filthy.
Move-out cleaning needed for the empty room in {dorm} before the new resident arrives.
The lounge in {dorm} smells like old pizza and there are dirty dishes everywhere.
The stairs in {bldg} are covered in dust and dead bugs.
Please sanitize the desks in {lab}, half the class has the flu.
The hallway carpet in {dorm} has a big dark stain from a spilled drink.
Please restock the soap dispensers in {restroom}.
Someone dumped coffee grounds all over the counter in {kitchen}.
The floor of {room} hasn't been mopped and it's gritty.
Sticky handprints all over the doors of {bldg}.
Please wipe down the gym equipment, it's sweaty and gross.
There's a dirty diaper left in the changing station in {restroom}.
Someone spilled a whole smoothie on the floor of {hall}.
Bathroom in {dorm} hasn't been cleaned in days, the toilets are disgusting.
Sticky floor and spilled beer in the lounge of {dorm} after the weekend.
Can we get the carpets shampooed in {room}? They're stained everywhere.
The trash can by the entrance of {bldg} is overflowing and attracting wasps.
Dog hair and dirt all over the seats in the study room.
Someone left their lunch in {room} and it's rotting.
The floor in {kitchen} is greasy and slippery.
Dirty mop water was left in a bucket in the hallway of {bldg} and it stinks.
""",
    "IT": """
Broken projector in {hall}. The projector is not turning on.
Projector in {hall} won't turn on, the power light just blinks orange.
Wifi keeps dropping in {dorm}, I get disconnected every few minutes.
I can't connect to eduroam in {bldg}.
The printer in the library is jammed again.
Can't log in to the lab computers in {lab}, it says my password expired.
The computer in {lab} won't boot, just shows a blue screen.
HDMI cable at the podium in {hall} is broken, no signal to the screen.
The smartboard in {room} isn't responding to touch.
The microphone in {hall} crackles and cuts out.
Speakers in {hall} are not working, no sound from the video.
The ethernet port in my office in {bldg} is dead.
The Zoom Room camera in {room} isn't working.
The document camera in {hall} shows a black image.
My monitor in {room} keeps flickering and then goes black.
The keyboard and mouse are missing from the workstation in {lab}.
The MATLAB license on the lab machines in {lab} expired.
My email stopped syncing on my work laptop.
The student portal is down, I can't register for classes.
Can't find the network printer from my laptop.
The desk phone in {room} has no dial tone.
The card swipe at the printer in {bldg} doesn't release my print jobs.
Clicker receiver for the polling system in {hall} isn't detected.
The projection screen in {hall} won't come down.
The laptop cart in {room} isn't charging any of the laptops.
The TV display in the lobby of {bldg} shows a "no input" error.
I need VPN access to reach the research server from home.
The scanner in the library doesn't send anything to my email.
The internet in {bldg} is super slow, pages take forever.
The computer in {lab} has pop-ups everywhere, probably a virus.
The display in {room} won't mirror my laptop screen.
Audio isn't coming through the room speakers when I play a video in {room}.
Lost my phone and can't do two-factor authentication to log in.
Projector in {hall} turns on but the image is all purple.
The wireless mic batteries in {hall} are dead and there are no spares.
Wi-Fi signal is basically zero in the {floor} study area of {bldg}.
The lab computer in {lab} freezes every time I open the stats software.
Printer on the {floor} of {bldg} is out of toner.
Can't get onto the guest wifi in {bldg}, the login page never loads.
The podium computer in {hall} asks for an admin password to update.
The video conference system in {room} has an echo on every call.
Please install Python and VS Code on the machines in {lab}.
The interactive display in {room} is stuck on the boot logo.
Our shared drive is not mapping on the office PCs in {bldg}.
The lecture capture recording didn't save for my class in {hall}.
My account is locked after too many password attempts.
The touch panel for the AV system in {hall} is frozen.
The projector in {room} says no signal from my laptop.
Wifi is down in all of {dorm}.
My laptop won't connect to the projector over USB-C.
Printer in {lab} prints blank pages.
The lab PCs in {lab} log you out after two minutes.
The computer screen in {room} is cracked.
Monitor at the front desk of {bldg} says no signal.
My office PC won't turn on, the power button does nothing.
Can't access Canvas from the campus network.
Need my password reset for the staff portal.
The webcam on the classroom PC in {room} isn't detected.
Outlook keeps crashing on my work computer.
The wifi password for the conference room doesn't work.
Sound system in the Student Union ballroom has a loud hum.
The slide clicker in {hall} doesn't advance the slides.
Network jack in {lab} has no link light.
Office phone in {room} rings but there's no audio.
The streaming box for the lounge TV in {dorm} isn't working.
The kiosk computer in the library lobby is frozen.
The screen in {room} shows no signal even with the HDMI plugged in.
The loaner laptop I got from the library won't charge.
Teams calls keep dropping in {bldg}.
The assistive listening system in {hall} doesn't work.
Printer says it's offline but it's clearly on.
Got a phishing email pretending to be the IT helpdesk, what do I do?
The audio from my laptop won't play through the classroom system in {room}.
I can't print from my phone to the library printer.
Lab computer in {lab} says no internet connection.
Need a new monitor cable for the workstation in {room}.
Wireless keyboard at the podium in {hall} doesn't respond.
My university email says my mailbox is full and I can't receive messages.
The network in {lab} drops every afternoon.
The projector remote in {room} is missing.
The course website won't load on campus computers.
The presentation PC in {hall} has no sound.
""",
    "Security": """
Card reader at the side entrance of {bldg} isn't reading student IDs.
Someone keeps propping open the back door of {dorm} with a rock.
Suspicious person trying car doors in {outdoor}.
My bike was stolen from {outdoor}, the lock was cut.
Window in {room} was smashed last night, looks like a break-in.
The security camera in the lobby of {bldg} is damaged and pointing at the ceiling.
The emergency blue light phone at {outdoor} isn't working, no dial tone when pressed.
I'm locked out of my dorm room in {dorm} and my roommate is away.
The door to {room} won't lock anymore.
Lost my key card, please deactivate it.
Fire alarm is going off in {bldg} and nobody knows why.
There's an intruder in {bldg} after hours, someone without an ID is wandering around.
The emergency exit door alarm in {bldg} keeps beeping.
A man has been following students near {outdoor} and making comments.
My laptop was stolen from {room} while I was in the restroom.
I need access added to my ID card for {lab}.
The exterior door of {dorm} doesn't close fully, anyone can walk in.
Keypad lock on the server room in {bldg} isn't accepting the code.
Someone I don't recognize is sleeping in the lounge of {dorm}.
Somebody broke the lock on the bike cage at {outdoor}.
Several cars in {outdoor} were vandalized overnight.
The door to {room} was forced open when I arrived this morning.
Can someone escort me to my car from {lab}? I'm leaving around midnight.
The panic button at the front desk of {bldg} doesn't trigger anything.
Packages are going missing from the mailroom in {dorm}.
Requesting a key for {room} for a new staff member.
My office in {bldg} was broken into and a monitor is gone.
The ID scanner at the gym turnstile lets anyone through.
Someone tampered with the lock on {room}, there are scratch marks.
The alarm on the storage room in {bldg} is going off every night at 2am.
The surveillance camera at {outdoor} has been knocked down.
Fob access to the {floor} of {dorm} stopped working for everyone.
Someone wrote threatening messages on my door in {dorm}.
Our department's lab in {lab} was left unlocked all weekend and equipment is missing.
A group of non-students keeps getting into {bldg} at night.
The magnetic lock on the front doors of {bldg} didn't lock overnight.
The intercom at the entrance of {dorm} doesn't buzz people in.
I saw someone climbing in through a window at {dorm}.
The security gate at the loading dock is stuck open.
My wallet was taken from my locker at the gym.
Door to the roof of {bldg} is unlocked and students are going up there.
Someone is using a stolen ID card to get into {dorm}.
The CCTV monitor at the front desk of {bldg} shows no picture from several cameras.
Emergency exit door at the back of {hall} is chained shut.
A student's ex keeps showing up at {dorm} and won't leave.
Please rekey {room}, a key was lost.
Someone stole my bag from the library while I was getting coffee.
Card access to {lab} is denied even though I'm on the list.
The door to {room} doesn't lock from the inside.
Car break-in at {outdoor}, the window was smashed.
Someone is loitering in the stairwell of {bldg} every night.
The intrusion alarm in {lab} keeps going off but nothing is wrong.
My ID card stopped opening my dorm room door.
The deadbolt on {room} is jammed and we can't lock up.
I want to report stolen lab equipment from {lab}.
A drone keeps flying over the outdoor pool.
Need the door to {room} unlocked for an exam at 8am.
Found a suspicious unattended backpack in {bldg}.
The night guard at {bldg} wasn't at the desk all night.
Someone keeps trying my door handle late at night in {dorm}.
The gate code for the parking garage isn't working.
The exterior door of {bldg} is unlocked on weekends when it should be locked.
Smashed glass on the door of {bldg}, someone tried to break in.
Requesting security presence at the party in the Student Union tonight.
Burglar alarm triggered at {bldg}.
Someone took pictures through the window of the locker room.
The camera in {lab} isn't recording anything.
The lock on the women's locker room doesn't work.
A master key was stolen from the front desk of {dorm}.
Guest sign-in at {dorm} is being ignored, strangers walk right in.
There's a person banging on doors and yelling in {dorm}.
Someone has been going through the lockers in the gym.
My car was broken into at {outdoor} last night.
There was a fight outside {dorm} around 1am.
The card reader on the {floor} lab door beeps red for everyone.
I think someone copied my key, things have been moved in my office in {bldg}.
There's a man hanging around the women's restroom in {bldg}.
The back door of {bldg} alarm has been disabled.
My room in {dorm} was entered while I was away and my laptop is gone.
Can we get a security check on {outdoor}? People feel unsafe walking there at night.
Someone is selling drugs in the stairwell of {dorm}.
""",
    "Other": """
The elevator in {bldg} is stuck on the {floor} and out of order.
There are mice in the kitchen of {dorm}, we saw droppings in the cabinets.
Cockroaches in the dining hall dish room.
I think there are bed bugs in my mattress in {dorm}, I have bites.
There's a wasp nest above the entrance of {bldg}.
Huge pothole at the entrance of {outdoor}.
Snow hasn't been cleared from {outdoor} and it's icy.
A big tree branch fell across {outdoor}.
Lawn sprinklers at {outdoor} are watering the sidewalk instead of the grass.
Vending machine in {bldg} ate my money and didn't give me anything.
I left my jacket in {hall} yesterday, is there a lost and found?
The signs on the {floor} of {bldg} have the wrong room numbers.
Can we get tables and chairs moved into the ballroom for an event on Saturday?
Construction noise next to {dorm} starts at 6am.
Who do I talk to about a parking permit for the faculty lot?
There's a squirrel living in the ceiling of {room}, we hear it scratching.
A bird flew into the atrium of {bldg} and can't get out.
The grass around {outdoor} is overgrown and full of weeds.
The rope on the flag pole in the quad is frayed.
The washing machines in {dorm} keep eating quarters.
The microwave in the lounge of {dorm} stopped heating.
Ice on the steps leading up to {bldg}, somebody is going to fall.
Could we get a picnic table by the bus stop?
An abandoned bike has been locked at {outdoor} since last semester.
When is the maintenance window for the {dorm} water shutoff?
Two groups have booked {room} for the same time slot.
There's a dead bird on the terrace of {bldg}.
Bees are swarming near the picnic area at {outdoor}.
The campus shuttle hasn't come to {outdoor} in over an hour.
Elevator in {dorm} makes a loud grinding noise between floors.
The fridge in the staff room of {bldg} stopped cooling.
Ants all over the counters in {kitchen}.
Please remove the old furniture that was left in the hallway of {dorm}.
The dryer in the {dorm} laundry room doesn't get hot.
Could someone put salt down on {outdoor}? It's a sheet of ice.
There's a raccoon getting into the trash bins behind {dorm}.
The elevator buttons in {bldg} don't light up and it skips floors.
The automatic paper towel... no wait, it's the coffee machine in {kitchen} that's broken, it leaks coffee grounds.
Moving out early, who collects the room keys and furniture inventory?
There's a flooded area in the lawn at {outdoor} after the rain.
Request: could the library extend hours during finals week?
The dishwasher in {kitchen} doesn't finish its cycle.
Pigeons are nesting on the window ledges of {bldg}.
Who handles requests for a new recycling program in our office?
The stage curtain in the auditorium is torn.
The water cooler jug delivery for {room} didn't come this week.
The elevator door in {dorm} won't close.
A mouse ran across the floor in {room}.
There's a snake in the basement of {bldg}.
Fruit flies everywhere in {kitchen}.
The mowing crew starts at 7am outside {dorm}, it's very loud.
Trees near {outdoor} need trimming, branches hang low over the path.
The sidewalk at {outdoor} is cracked and uneven.
Who can I ask to borrow folding chairs for our club meeting?
The wheelchair lift at {bldg} is not working.
Can we get a bike rack installed outside {bldg}?
The vending machine in {dorm} has been empty for a week.
The toaster in {kitchen} is broken.
Geese are blocking {outdoor} and chasing people.
We need moving boxes for the office move next week.
The speed bump in {outdoor} is broken and sticking up.
Mosquitoes are terrible around the pond by {outdoor}.
The escalator in the Student Union is stopped.
Lost my keys somewhere in {bldg}, did anyone turn them in?
Loud music from the house next to {dorm} every night.
Can the shuttle schedule be posted at {outdoor}?
Mold growing on the library books in the basement stacks, who handles book conservation?
Could we get more parking spaces for visitors near {bldg}?
There's a beehive in the wall of {dorm}.
The oven in {kitchen} doesn't heat up.
Our department needs a storage unit for event supplies.
The elevator in {bldg} is out of service again.
Raccoons got into the dumpsters and there's garbage everywhere on {outdoor}.
There are silverfish in the bathroom of my dorm room.
Could someone shovel the snow off the ramp at {bldg}?
The clock in {hall} is wrong.
The flowers by the main gate are dead, can the grounds team replace them?
The coffee vending machine in the library is out of order.
I found a wallet in {hall}, where should I take it?
A fallen tree is blocking the road near {outdoor}.
The laundry card machine in {dorm} isn't taking money.
""",
}

# Follow-up detail sentences per category (never carry the label alone; they
# add realistic context).
DETAILS = {
    "Plumbing": [
        "I already tried the plunger.", "Put a bucket under it for now.", "The floor is getting slippery.",
        "It's been like this since Monday.", "Someone put an out of order sign on it.", "It's getting worse.",
        "Other sinks on the floor are fine.", "Maintenance came last month for the same thing.",
    ],
    "Electrical": [
        "I switched the breaker back on but it tripped again.", "It's been going on for a couple days.",
        "Only that one is affected.", "Nothing plugged in seems to be the cause.", "We've stopped using it.",
        "Other rooms on the floor are fine.", "It started after the storm.", "Replacing the bulb didn't help.",
        "It makes it hard to see in the evening.",
    ],
    "HVAC": [
        "It's been like this for three days.", "We tried adjusting the thermostat.", "Students are complaining.",
        "It gets worse in the afternoon.", "I have a space heater going for now.", "Opening the windows doesn't help.",
        "The other rooms seem normal.", "It's really noticeable during lectures.", "It started when the weather changed.",
    ],
    "Carpentry": [
        "It's been getting worse over the semester.", "Someone almost got hurt on it.", "I can send a photo.",
        "It's been like this since move-in.", "We stopped using it for now.", "The screws seem to be stripped.",
        "It's the one closest to the door.", "Not urgent but it's annoying.",
    ],
    "Cleaning": [
        "It's starting to smell.", "It's been like this since the weekend.", "We have an event in there tomorrow.",
        "Students have been complaining.", "It's pretty gross.", "Please send someone when you can.",
        "It's right by the main entrance.", "Visitors are coming through today.",
    ],
    "IT": [
        "I restarted it twice already.", "I have a class in there at 2pm.", "Tried a different cable, same thing.",
        "It worked fine last week.", "Other people are having the same problem.", "I already checked the input source.",
        "I've got a presentation tomorrow.", "Happy to show someone the error message.",
    ],
    "Security": [
        "It happened around 11pm.", "I reported it to the front desk too.", "This is the second time this month.",
        "I didn't touch anything.", "Nobody was hurt.", "Several residents noticed it too.",
        "I can give a description if needed.", "It makes people feel unsafe.",
    ],
    "Other": [
        "Not sure who handles this.", "It's been like this for a while.", "Several people have mentioned it.",
        "Thanks for looking into it.", "Let me know if this is the wrong place to ask.", "It's kind of a nuisance.",
        "Please forward this to the right team.",
    ],
}

GENERIC_DETAILS = [
    "Thanks!", "Thank you.", "Let me know if you need access to the room.", "I'm around until 5pm today.",
    "This is the second time I'm reporting this.", "Please send someone when you can.", "Appreciate it.",
    "My number is on my profile if you need it.", "Room is usually empty in the mornings.",
    "Not sure if this was already reported.",
]

OPENERS_FORMAL = [
    "Hello,", "Good morning,", "Dear Facilities team,", "To whom it may concern,", "Hi there,",
    "Good afternoon,", "Hello Campus Services,",
]
REPORT_LEADS = [
    "I'd like to report an issue.", "Reporting a problem:", "Just flagging this:", "Writing to let you know:",
    "Quick report:", "We have an issue here.", "",
]
SIGNOFFS = [
    "Thanks, Dana (RA)", "Best, Prof. Okafor", "Regards, Front desk", "- Sam", "Thanks so much, Priya",
    "Cheers, Luis from the library", "Kind regards, Department office", "thx, jen", "Thank you, M. Chen",
]
CASUAL_TAILS = [
    "pls fix", "can someone look at this", "thx", "help lol", "asap pls", "thanks", "", "!!",
    "pls send someone", "been like this all week",
]
SUBJECT_TITLES = ["Maintenance request", "Work order", "Re: issue report", "Fwd: problem", "Request", "FYI", "Ticket"]
URGENT_PREFIXES = ["URGENT: ", "URGENT - ", "Urgent!! ", "ASAP: ", "Emergency: ", "Please hurry, "]
URGENT_TAILS = [
    "Please send someone right away.", "Need help now!", "Please come asap.", "Someone needs to come immediately.",
]

# Misspellings people actually make; applied to a minority of tickets.
COMMON_TYPOS = {
    "ceiling": "cieling", "toilet": "toliet", "leaking": "leeking", "receive": "recieve", "definitely": "definately",
    "wifi": "wfii", "projector": "projecter", "broken": "borken", "because": "becuase", "the ": "teh ",
    "working": "wokring", "bathroom": "bathrom", "please": "plz", "really": "realy", "outlet": "outlit",
    "thermostat": "thermastat", "radiator": "radiater", "someone": "somone", "building": "buidling",
}


def _fill(template: str, rng: random.Random) -> str:
    """Replace {placeholders} with a random location of that kind."""
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(LOCATIONS[m.group(1)]), template)


def _lower_first(s: str) -> str:
    # Keep acronyms and proper nouns ("AC", "HDMI", "Zoom") intact.
    if len(s) > 1 and s[1].isupper():
        return s
    return s[0].lower() + s[1:]


def _typos(text: str, rng: random.Random) -> str:
    """Inject one or two realistic typos: a known misspelling or a slip of the keyboard."""
    for _ in range(rng.choice([1, 1, 2])):
        lowered = text.lower()
        known = [w for w in COMMON_TYPOS if w in lowered]
        if known and rng.random() < 0.6:
            word = rng.choice(known)
            idx = lowered.index(word)
            text = text[:idx] + COMMON_TYPOS[word] + text[idx + len(word):]
            continue
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
        if not candidates:
            continue
        i = rng.choice(candidates)
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        kind = rng.random()
        if kind < 0.4:  # swapped letters
            w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        elif kind < 0.7:  # dropped letter
            w = w[:j] + w[j + 1:]
        else:  # doubled letter
            w = w[:j] + w[j] + w[j:]
        words[i] = w
        text = " ".join(words)
    return text


def render(issue: str, category: str, style: str, rng: random.Random) -> str:
    """Render one issue as a ticket in the given reporting style."""
    core = _fill(issue, rng)
    detail = rng.choice(DETAILS[category])
    generic = rng.choice(GENERIC_DETAILS)
    if style == "bare":
        text = core
    elif style == "short":
        # Terse, first clause only, the way people type into a phone.
        text = re.split(r"[,.]\s", core)[0].rstrip(".")
    elif style == "formal":
        lead = rng.choice(REPORT_LEADS)
        text = f"{rng.choice(OPENERS_FORMAL)} {lead} {core} {detail} {rng.choice(SIGNOFFS)}"
    elif style == "casual":
        text = f"{_lower_first(core).rstrip('.')} {rng.choice(CASUAL_TAILS)}".lower()
    elif style == "subject":
        # Subject-line form. Only name a place when the issue itself has none,
        # so a ticket never points at two different buildings.
        if "{" in issue:
            text = f"{rng.choice(SUBJECT_TITLES)}: {core}"
        else:
            loc = rng.choice(LOCATIONS[rng.choice(["bldg", "dorm", "hall", "room"])])
            text = f"{loc[0].upper() + loc[1:]} - {core}"
    elif style == "long":
        extra = rng.choice([d for d in DETAILS[category] if d != detail])
        text = f"{rng.choice(OPENERS_FORMAL)} {core} {detail} {extra} {generic}"
    elif style == "urgent":
        text = f"{rng.choice(URGENT_PREFIXES)}{core} {rng.choice(URGENT_TAILS)}"
    else:
        raise ValueError(style)
    text = re.sub(r"\s+", " ", text).strip()
    if rng.random() < 0.15:
        text = _typos(text, rng)
    return text


STYLES = ["bare", "short", "formal", "casual", "subject", "long", "urgent"]
STYLE_WEIGHTS = [24, 12, 16, 18, 10, 14, 6]


def build(seed: int = SEED, split_by: str = "ticket") -> list[tuple[str, str, str]]:
    """All tickets as (text, category, split) rows.

    split_by="ticket" (default): a seeded 20% of each category's tickets is
    held out. A held-out ticket never appears in train, but another rendering
    of the same issue (different wording around it, place, style) may, as
    happens with real tickets about common problems.
    split_by="issue": every rendering of a held-out issue is in test, so test
    issues are entirely unseen (a harder, novel-problem measure).
    """
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    for category, block in ISSUES.items():
        issues = [line.strip() for line in block.strip().splitlines() if line.strip()]
        order = list(range(len(issues)))
        rng.shuffle(order)
        test_issues = set(order[: round(len(issues) * TEST_FRACTION)])
        seen: set[str] = set()
        cat_rows: list[list[str]] = []
        for idx, issue in enumerate(issues):
            made = 0
            attempts = 0
            while made < VARIANTS_PER_ISSUE and attempts < 50:
                attempts += 1
                style = rng.choices(STYLES, STYLE_WEIGHTS)[0]
                text = render(issue, category, style, rng)
                if text.lower() in seen or len(text) < 8:
                    continue
                seen.add(text.lower())
                cat_rows.append([text, category, "test" if idx in test_issues else "train"])
                made += 1
        if split_by == "ticket":
            picks = list(range(len(cat_rows)))
            rng.shuffle(picks)
            held_out = set(picks[: round(len(cat_rows) * TEST_FRACTION)])
            for i, row in enumerate(cat_rows):
                row[2] = "test" if i in held_out else "train"
        elif split_by != "issue":
            raise ValueError(split_by)
        rows.extend(tuple(r) for r in cat_rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--split-by", choices=["ticket", "issue"], default="ticket")
    args = parser.parse_args()
    rows = build(split_by=args.split_by)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["text", "category", "split"])
        writer.writerows(rows)
    counts: dict[tuple[str, str], int] = {}
    for _, cat, split in rows:
        counts[(cat, split)] = counts.get((cat, split), 0) + 1
    for cat in ISSUES:
        tr, te = counts.get((cat, "train"), 0), counts.get((cat, "test"), 0)
        print(f"{cat:<11} train={tr:4d} test={te:3d} total={tr + te:4d} test%={100 * te / (tr + te):.0f}")
    print(f"wrote {len(rows)} tickets to {args.out}")


if __name__ == "__main__":
    main()
